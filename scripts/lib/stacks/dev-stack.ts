// `npm run up` / `npm run down`: check the prerequisites, pick a backend and a passphrase, then hand
// over to `pulumi up` / `pulumi destroy`. It writes no value into any stack file: the program
// generates the credentials a stack lacks (infra/credentials.ts), and they live in the stack's state.
import { createDecipheriv, pbkdf2Sync, randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { missingPrerequisites, type Runner } from "../cli/shell.js";

export const PROJECT = "kinde-hasura";

/**
 * The dev stack's passphrase, published on purpose: Pulumi.dev.yaml commits the `encryptionsalt`
 * made with it, so `pulumi stack init dev` writes nothing into the tracked file (the passphrase
 * provider stores a new salt in Pulumi.<stack>.yaml only when the file has none; pulumi/pulumi
 * pkg/secrets/passphrase/manager.go). It guards only a dev stack's local state: loopback-only
 * containers and their generated passwords. Every other stack gets a passphrase of its own.
 */
export const DEV_PASSPHRASE = "kinde-hasura-dev";

/**
 * The Pulumi environment for this repo: the user's own backend and passphrase when they set one;
 * otherwise a file backend under `<repo>/.pulumi/` (git-ignored), the published dev passphrase for
 * `dev`, and a generated passphrase file for any other stack.
 */
export function pulumiEnvironment(env: NodeJS.ProcessEnv, repoRoot: string, stack?: string): { env: NodeJS.ProcessEnv; notes: string[] } {
  const notes: string[] = [];
  const out: NodeJS.ProcessEnv = { ...env };
  const stateDir = join(repoRoot, ".pulumi");
  if (!env.PULUMI_BACKEND_URL) {
    out.PULUMI_BACKEND_URL = `file://${stateDir}`;
    notes.push(`State: local file backend in ${stateDir} (set PULUMI_BACKEND_URL to use another backend).`);
  }
  if (env.PULUMI_CONFIG_PASSPHRASE === undefined && !env.PULUMI_CONFIG_PASSPHRASE_FILE) {
    const file = join(stateDir, "passphrase");
    if (stack === "dev") {
      // A dev stack made before the published passphrase keeps its own salt and generated file.
      const salt = stackSalt(repoRoot, "dev");
      if (salt && existsSync(file) && !passphraseUnlocks(DEV_PASSPHRASE, salt)) {
        out.PULUMI_CONFIG_PASSPHRASE_FILE = file;
        notes.push(`Pulumi.dev.yaml's salt is not the published dev passphrase's: using ${file}, as this dev stack was made with it.`);
      } else {
        out.PULUMI_CONFIG_PASSPHRASE = DEV_PASSPHRASE;
      }
      return { env: out, notes };
    }
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
  if (isProductionStack(o.repoRoot, o.stack)) {
    throw new StackCommandError(
      `Stack ${o.stack} is a production stack (production: true in Pulumi.${o.stack}.yaml); npm run up is for dev and preview stacks. ` +
        `Deploy production with \`pulumi up --stack ${o.stack}\` (README, Environments).`,
    );
  }
  const { env, notes } = pulumiEnvironment(o.env, o.repoRoot, o.stack);
  notes.forEach(o.log);

  must(o.run, ["stack", "select", o.stack, "--create", "--non-interactive"], env, `Selecting stack ${o.stack}`);
  // Preview stacks only: their Pulumi.pr-<N>.yaml is git-ignored.
  for (const [key, value] of Object.entries(o.template ?? {})) {
    must(o.run, ["config", "set", `${PROJECT}:${key}`, value, "--stack", o.stack], env, `Setting ${key}`);
  }
  return o.run("pulumi", ["up", "--stack", o.stack, ...o.passThrough], { env, interactive: true }).code;
}

/** Destroys the stack's resources; returns pulumi destroy's exit code. */
export function devStackDown(o: DevStackOptions): number {
  // Docker too: destroy removes containers and the volume through the daemon.
  const problems = missingPrerequisites(o.run, ["pulumi", "docker"]);
  if (problems.length > 0) throw new StackCommandError(problems.join("\n"));
  const { env } = pulumiEnvironment(o.env, o.repoRoot, o.stack);
  return o.run("pulumi", ["destroy", "--stack", o.stack, ...o.passThrough], { env, interactive: true }).code;
}

/** The `encryptionsalt` of Pulumi.<stack>.yaml, if the file has one. */
function stackSalt(repoRoot: string, stack: string): string | undefined {
  const file = join(repoRoot, `Pulumi.${stack}.yaml`);
  if (!existsSync(file)) return undefined;
  const salt = (readStackFile(file) as { encryptionsalt?: unknown } | null)?.encryptionsalt;
  return typeof salt === "string" ? salt : undefined;
}

/**
 * Whether `passphrase` unlocks a passphrase provider's salt: `v1:<salt>:v1:<nonce>:<AES-256-GCM of
 * "pulumi">`, the key PBKDF2-SHA256 of the passphrase over the salt, 1,000,000 rounds (pulumi/pulumi
 * pkg/secrets/passphrase/manager.go; sdk/go/common/resource/config/crypt.go, whose GCM Seal appends
 * the 16-byte tag).
 */
export function passphraseUnlocks(passphrase: string, encryptionSalt: string): boolean {
  const [v1, salt, v1b, nonce, sealed] = encryptionSalt.split(":");
  if (v1 !== "v1" || v1b !== "v1" || !salt || !nonce || !sealed) return false;
  const key = pbkdf2Sync(passphrase, Buffer.from(salt, "base64"), 1_000_000, 32, "sha256");
  const data = Buffer.from(sealed, "base64");
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(nonce, "base64"));
    decipher.setAuthTag(data.subarray(data.length - 16));
    return Buffer.concat([decipher.update(data.subarray(0, data.length - 16)), decipher.final()]).toString("utf8") === "pulumi";
  } catch {
    return false;
  }
}

/** Pulumi.<stack>.yaml parsed, or a StackCommandError naming the file. */
function readStackFile(file: string): unknown {
  try {
    return parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new StackCommandError(`${file} is not valid YAML: ${(err as Error).message.split("\n")[0]}`);
  }
}

/** Whether Pulumi.<stack>.yaml marks the stack as production, read as YAML (so `True`, `"true"`, comments all count). */
export function isProductionStack(repoRoot: string, stack: string): boolean {
  const file = join(repoRoot, `Pulumi.${stack}.yaml`);
  if (!existsSync(file)) return false;
  const value = (readStackFile(file) as { config?: Record<string, unknown> } | null)?.config?.[`${PROJECT}:production`];
  return value === true || (typeof value === "string" && value.trim().toLowerCase() === "true");
}
