// `npm run up` / `npm run down` for the dev stack: pick a backend, create the stack, generate its
// secrets into the stack's encrypted config, then hand over to `pulumi up` / `pulumi destroy`.
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { missingPrerequisites, type Runner } from "./shell.js";
import { SECRET_KEYS, type SecretKey } from "./stack-settings.js";

export const PROJECT = "kinde-hasura";

/**
 * The Pulumi environment for this repo: the user's own backend and passphrase when they set one,
 * otherwise a file backend and a generated passphrase file under `<repo>/.pulumi/` (git-ignored).
 */
export function pulumiEnvironment(env: NodeJS.ProcessEnv, repoRoot: string): { env: NodeJS.ProcessEnv; notes: string[] } {
  const notes: string[] = [];
  const out: NodeJS.ProcessEnv = { ...env };
  const stateDir = join(repoRoot, ".pulumi");
  if (!env.PULUMI_BACKEND_URL) {
    out.PULUMI_BACKEND_URL = `file://${stateDir}`;
    notes.push(`State: local file backend in ${stateDir} (set PULUMI_BACKEND_URL to use another backend).`);
  }
  if (env.PULUMI_CONFIG_PASSPHRASE === undefined && !env.PULUMI_CONFIG_PASSPHRASE_FILE) {
    const file = join(stateDir, "passphrase");
    if (!existsSync(file)) {
      mkdirSync(stateDir, { recursive: true });
      writeFileSync(file, randomBytes(32).toString("base64url"), { mode: 0o600 });
      notes.push(`Generated a passphrase for the stack's secrets in ${file}; keep it, or the secrets cannot be decrypted.`);
    }
    chmodSync(file, 0o600);
    out.PULUMI_CONFIG_PASSPHRASE_FILE = file;
  }
  return { env: out, notes };
}

/** A fresh value for a secret the stack lacks: long random strings, and an RSA key for local signing. */
export function generateSecret(key: SecretKey): string {
  if (key === "devSigningKey") {
    return generateKeyPairSync("rsa", {
      modulusLength: 2048,
      privateKeyEncoding: { type: "pkcs8", format: "pem" },
      publicKeyEncoding: { type: "spki", format: "pem" },
    }).privateKey;
  }
  // base64url: no character that needs quoting in a URL, a shell or YAML.
  return randomBytes(36).toString("base64url");
}

/**
 * Secrets the stack's config lacks, read from `pulumi config --json` (which never shows secret values).
 * A key present only through its Pulumi.yaml default ("", not secret) counts as missing.
 */
export function missingSecrets(configJson: string): SecretKey[] {
  const config = JSON.parse(configJson) as Record<string, { value?: string; secret?: boolean } | undefined>;
  return SECRET_KEYS.filter((key) => {
    const entry = config[`${PROJECT}:${key}`];
    return entry === undefined || (entry.secret !== true && !entry.value);
  });
}

export class StackCommandError extends Error {}

/** Runs `pulumi <args>` and returns its stdout; stops with pulumi's own message when it fails. */
export function must(run: Runner, args: string[], env: NodeJS.ProcessEnv, what: string, input?: string): string {
  const result = run("pulumi", args, { env, input });
  if (result.code !== 0) {
    throw new StackCommandError(`${what} failed (pulumi ${args.join(" ")}):\n${result.stderr.trim() || result.stdout.trim()}`);
  }
  return result.stdout;
}

export interface DevStackOptions {
  run: Runner;
  env: NodeJS.ProcessEnv;
  repoRoot: string;
  stack: string;
  /** Extra arguments passed to `pulumi up` / `pulumi destroy`, e.g. --yes. */
  passThrough: string[];
  /** Plain config values to set on the stack before `pulumi up` (preview stacks copy the dev template). */
  template?: Record<string, string>;
  log: (line: string) => void;
}

/** Brings the stack up; returns pulumi up's exit code. Throws StackCommandError before any change it refuses. */
export function devStackUp(o: DevStackOptions): number {
  const problems = missingPrerequisites(o.run, ["pulumi", "docker"]);
  if (problems.length > 0) throw new StackCommandError(problems.join("\n"));
  const { env, notes } = pulumiEnvironment(o.env, o.repoRoot);
  notes.forEach(o.log);

  must(o.run, ["stack", "select", o.stack, "--create", "--non-interactive"], env, `Selecting stack ${o.stack}`);
  for (const [key, value] of Object.entries(o.template ?? {})) {
    must(o.run, ["config", "set", `${PROJECT}:${key}`, value, "--stack", o.stack], env, `Setting ${key}`);
  }
  const missing = missingSecrets(must(o.run, ["config", "--json", "--stack", o.stack], env, "Reading stack config"));
  if (missing.length > 0 && isProductionTemplate(o.repoRoot, o.stack)) {
    throw new StackCommandError(
      `Stack ${o.stack} is a production stack and lacks ${missing.join(", ")}; set them yourself with \`pulumi config set --secret\`, npm run up only generates secrets for non-production stacks.`,
    );
  }
  for (const key of missing) {
    // The value goes on stdin: never in argv, never printed.
    must(o.run, ["config", "set", "--secret", `${PROJECT}:${key}`, "--stack", o.stack], env, `Storing ${key}`, generateSecret(key));
    o.log(`Generated ${key} into the encrypted config of stack ${o.stack}.`);
  }
  return o.run("pulumi", ["up", "--stack", o.stack, ...o.passThrough], { env, interactive: true }).code;
}

/** Destroys the stack's resources; returns pulumi destroy's exit code. */
export function devStackDown(o: DevStackOptions): number {
  // Docker too: destroy removes containers and the volume through the daemon.
  const problems = missingPrerequisites(o.run, ["pulumi", "docker"]);
  if (problems.length > 0) throw new StackCommandError(problems.join("\n"));
  const { env } = pulumiEnvironment(o.env, o.repoRoot);
  return o.run("pulumi", ["destroy", "--stack", o.stack, ...o.passThrough], { env, interactive: true }).code;
}

/** Whether the committed Pulumi.<stack>.yaml marks the stack as production. */
function isProductionTemplate(repoRoot: string, stack: string): boolean {
  const file = join(repoRoot, `Pulumi.${stack}.yaml`);
  return existsSync(file) && /^\s*kinde-hasura:production:\s*"?true"?\s*$/m.test(readFileSync(file, "utf8"));
}
