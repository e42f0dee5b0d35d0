// A fresh clone's first `npm run up`, with stand-ins for the Pulumi and Docker CLIs on PATH that record
// what they are asked (they prove what we ask of Pulumi, not what Pulumi does): no value is written
// into any tracked file, and Pulumi.dev.yaml's committed salt belongs to the published dev passphrase.
import { execFile } from "node:child_process";
import { createDecipheriv, pbkdf2Sync } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { DEV_PASSPHRASE } from "../scripts/lib/dev-stack.js";
import { PROJECT_ROOT } from "../scripts/lib/project-root.js";
import { projectCopy } from "./support/project-copy.js";

const exec = promisify(execFile);

/**
 * Pulumi's passphrase check: `v1:<salt>:v1:<nonce>:<AES-256-GCM of "pulumi">`, the key PBKDF2-SHA256
 * of the passphrase over the salt, 1,000,000 rounds (pulumi/pulumi pkg/secrets/passphrase/manager.go
 * NewPassphraseSecretsManager and symmetricCrypterFromPhraseAndState; sdk/go/common/resource/config/
 * crypt.go NewSymmetricCrypterFromPassphrase, EncryptValue: Go's GCM Seal appends the 16-byte tag).
 */
function unlocks(passphrase: string, encryptionSalt: string): boolean {
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

describe("Pulumi.dev.yaml", () => {
  const stackFile = parse(readFileSync(join(PROJECT_ROOT, "Pulumi.dev.yaml"), "utf8")) as { encryptionsalt?: string; config: Record<string, unknown> };

  it("commits the salt of the published dev passphrase, so `pulumi stack init dev` writes nothing into it", { timeout: 20_000 }, () => {
    expect(unlocks(DEV_PASSPHRASE, stackFile.encryptionsalt as string)).toBe(true);
    expect(unlocks("another passphrase", stackFile.encryptionsalt as string)).toBe(false);
  });

  it("holds only plain, shared settings", () => {
    expect(Object.values(stackFile.config).every((v) => typeof v !== "object")).toBe(true);
    expect(Object.keys(stackFile.config).sort()).toEqual(["kinde-hasura:hasuraConsole", "kinde-hasura:hasuraDevMode", "kinde-hasura:hasuraPort", "kinde-hasura:postgresPort"]);
  });
});

describe("npm run up on a fresh clone (stand-in pulumi and docker CLIs that record their calls)", () => {
  it("asks Pulumi to select the stack and deploy, and never to set config", { timeout: 30_000 }, async () => {
    const copy = projectCopy("up-fresh");
    const bin = join(copy.root, "..", "bin");
    const log = join(copy.root, "..", "calls.log");
    mkdirSync(bin);
    const standIn = (name: string) => {
      writeFileSync(join(bin, name), `#!/bin/sh\necho "${name} $* [passphrase=\${PULUMI_CONFIG_PASSPHRASE-unset}]" >> "${log}"\n[ "$1" = version ] && echo v0.0.0-stand-in\nexit 0\n`);
      chmodSync(join(bin, name), 0o755);
    };
    standIn("pulumi");
    standIn("docker");
    const tracked = ["Pulumi.yaml", "Pulumi.dev.yaml", "package.json"].map((f) => readFileSync(join(copy.root, f), "utf8"));
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${bin}:${process.env.PATH}` };
    delete env.PULUMI_CONFIG_PASSPHRASE;
    delete env.PULUMI_CONFIG_PASSPHRASE_FILE;
    delete env.PULUMI_BACKEND_URL;
    await exec(process.execPath, ["--import", "tsx", join(copy.root, "scripts", "stack.ts"), "up", "--yes"], { env, cwd: copy.root });
    const calls = readFileSync(log, "utf8").trim().split("\n");
    expect(calls).toEqual([
      "pulumi version [passphrase=unset]",
      "docker version --format {{.Server.Version}} [passphrase=unset]",
      `pulumi stack select dev --create --non-interactive [passphrase=${DEV_PASSPHRASE}]`,
      `pulumi up --stack dev --yes [passphrase=${DEV_PASSPHRASE}]`,
    ]);
    expect(["Pulumi.yaml", "Pulumi.dev.yaml", "package.json"].map((f) => readFileSync(join(copy.root, f), "utf8"))).toEqual(tracked);
  });
});
