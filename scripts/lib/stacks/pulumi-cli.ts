// The Pulumi CLI as this repo's commands run it: which backend and passphrase (the user's own, else a
// file backend under <repo>/.pulumi/ and the published dev passphrase or a generated one), and one
// way to run `pulumi <args>` that stops with pulumi's own message.
import { createDecipheriv, pbkdf2Sync, randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Runner } from "../cli/shell.js";
import { StackCommandError, stackSalt } from "./stack-file.js";

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

/** Runs `pulumi <args>` and returns its stdout; stops with pulumi's own message when it fails. */
export function must(run: Runner, args: string[], env: NodeJS.ProcessEnv, what: string, input?: string): string {
  const result = run("pulumi", args, { env, input });
  if (result.code !== 0) {
    throw new StackCommandError(`${what} failed (pulumi ${args.join(" ")}):\n${result.stderr.trim() || result.stdout.trim()}`);
  }
  return result.stdout;
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
