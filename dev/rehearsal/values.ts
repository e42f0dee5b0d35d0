// Property values as they travel between a Pulumi program and its engine: secrets inside Pulumi's
// envelope ({"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value}, the
// constants of @pulumi/pulumi runtime/rpc.js), resource references inside theirs.
export const SIG_KEY = "4dabf18193072939515e22adb298388d";
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e";

export interface SecretEnvelope {
  [SIG_KEY]: typeof SECRET_SIG;
  value: unknown;
}

export function isSecretEnvelope(value: unknown): value is SecretEnvelope {
  return typeof value === "object" && value !== null && (value as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;
}

export function secretEnvelope(value: unknown): SecretEnvelope {
  return { [SIG_KEY]: SECRET_SIG, value };
}

/** The value without envelopes, and every secret string found inside one (for masking). */
export function reveal(value: unknown): { plain: unknown; secrets: string[] } {
  const secrets: string[] = [];
  const walk = (v: unknown, inSecret: boolean): unknown => {
    if (isSecretEnvelope(v)) return walk(v.value, true);
    if (v && typeof v === "object" && (v as Record<string, unknown>)[SIG_KEY] === RESOURCE_SIG) {
      const ref = v as Record<string, unknown>;
      return ref.id ?? ref.urn;
    }
    if (Array.isArray(v)) return v.map((x) => walk(x, inSecret));
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, inSecret)]));
    if (inSecret && typeof v === "string" && v.length > 0) secrets.push(v);
    return v;
  };
  return { plain: walk(value, false), secrets };
}

/** Replaces every secret (longest first, so a prefix never leaves the rest showing) with [secret]. */
export function maskSecrets(text: string, secrets: Iterable<string>): string {
  const parts = new Set<string>();
  for (const s of secrets) {
    // Even a short secret is masked (non-production stacks allow them): mangled output beats a leak.
    if (s.length === 0) continue;
    parts.add(s);
    // A secret also shows percent-encoded inside URLs and line by line in multi-line values.
    parts.add(encodeURIComponent(s));
    for (const line of s.split("\n")) if (line.trim().length >= 8) parts.add(line.trim());
  }
  return [...parts].sort((a, b) => b.length - a.length).reduce((t, s) => t.split(s).join("[secret]"), text);
}

/** A container's `KEY=VALUE` environment list as a map (the first `=` splits). */
export function envMap(envs: readonly string[]): Record<string, string> {
  return Object.fromEntries(envs.map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));
}
