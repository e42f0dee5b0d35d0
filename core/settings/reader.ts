// The one collector of configuration problems: each concern's reader (core/settings/*.ts) reads its
// keys through it and reports here, so a stack with several mistakes hears about all of them at once.

import { ExpectedFailure } from "../expected-failure.js";
import { majorVersion, parseImageReference } from "./config-values.js";
import { DEFAULTS, type PlainKey } from "./keys.js";

/** `get(key)` returns the stored value of `<project>:<key>` or undefined. */
export type ConfigLookup = (key: string) => string | undefined;

export class ConfigError extends ExpectedFailure {
  constructor(
    readonly stackName: string,
    readonly problems: string[],
  ) {
    super(`Stack "${stackName}" has invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  }
}

export class SettingsReader {
  readonly problems: string[] = [];

  constructor(
    private readonly get: ConfigLookup,
    readonly ctx: { project: string; stack: string },
    /** Whether the stack stores `<project>:<key>` encrypted, when the caller can tell. */
    readonly isSecret?: (key: string) => boolean,
  ) {}

  /** `<project>:<key>`, as people type it in `pulumi config set`. */
  name(key: string): string {
    return `${this.ctx.project}:${key}`;
  }

  /** A plain key's value, or its default. */
  value(key: PlainKey): string {
    return this.get(key) ?? DEFAULTS[key];
  }

  /** A key's stored value as is (secrets have no default). */
  stored(key: string): string | undefined {
    return this.get(key);
  }

  report(problem: string): void {
    this.problems.push(problem);
  }

  /** "<key> must be <rule>; got <value>": for plain values only, never a secret's. */
  fail(key: string, rule: string, got: string): void {
    this.report(`${this.name(key)} must be ${rule}; got ${JSON.stringify(got)}`);
  }

  /** Throws one ConfigError listing every problem reported so far, if any. */
  throwIfProblems(): void {
    if (this.problems.length > 0) throw new ConfigError(this.ctx.stack, this.problems);
  }

  /** A bare host; an https:// prefix and a trailing slash are forgiven. "" stays "" (unset). */
  host(key: string, raw: string, rule: string): string {
    if (raw === "") return "";
    const bare = raw.replace(/^https:\/\//, "").replace(/\/$/, "");
    if (/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i.test(bare)) return bare.toLowerCase();
    this.fail(key, rule, raw);
    return "";
  }

  /** A whole number from min to max written with no more digits than max has, else reported. */
  wholeNumber(key: string, raw: string, min: number, max: number, rule: string): number | undefined {
    const n = Number(raw);
    if (new RegExp(`^\\d{1,${String(max).length}}$`).test(raw) && n >= min && n <= max) return n;
    this.fail(key, rule, raw);
    return undefined;
  }

  bool(key: PlainKey): boolean {
    const raw = this.value(key);
    if (raw === "true" || raw === "false") return raw === "true";
    this.fail(key, "true or false", raw);
    return false;
  }

  /** "auto" (on unless production), "true" or "false". */
  autoFlag(key: PlainKey, production: boolean): { on: boolean; raw: string; valid: boolean } {
    const raw = this.value(key);
    const valid = ["auto", "true", "false"].includes(raw);
    if (!valid) this.fail(key, '"auto" (on unless production), "true" or "false"', raw);
    return { on: raw === "auto" ? !production : raw === "true", raw, valid };
  }

  port(key: "hasuraPort" | "postgresPort"): number {
    const raw = this.value(key);
    const n = Number(raw);
    if (/^\d+$/.test(raw) && n >= 0 && n <= 65535) return n;
    this.fail(key, "0 (Docker picks a free port) or a port from 1 to 65535", raw);
    return 0;
  }

  /**
   * The expected repository from any registry (a mirror such as registry.local:5000/postgres), at an
   * exact version: `latest`, a bare major or no tag would change under a running stack.
   */
  image(key: "postgresImage" | "hasuraImage" | "edgeImage", repository: string, example: string, major?: number): string {
    const raw = this.value(key);
    const ref = parseImageReference(raw);
    const version = majorVersion(ref?.tag);
    if (!ref || version === undefined) {
      this.fail(key, `an image pinned to an exact version such as ${example} (optionally @sha256:<digest>)`, raw);
    } else if (ref.repository !== repository) {
      this.fail(key, `the ${repository} image (from any registry) such as ${example}`, raw);
    } else if (major !== undefined && version !== major) {
      this.fail(key, `a ${repository} v${major} image such as ${example}`, raw);
    }
    return raw;
  }

  /** A secret's value, "" counting as unset. */
  secret(key: string): string | undefined {
    const raw = this.get(key);
    return raw === undefined || raw === "" ? undefined : raw;
  }
}
