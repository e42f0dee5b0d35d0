// A fresh clone's first `npm run up`, with stand-ins for the Pulumi and Docker CLIs on PATH that record
// what they are asked (they prove what we ask of Pulumi, not what Pulumi does): no value is written
// into any tracked file, and Pulumi.dev.yaml's committed salt belongs to the published dev passphrase.
import { execFile } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { PROJECT_ROOT } from "../../core/project-root.js";
import { DEV_PASSPHRASE, passphraseUnlocks } from "../../scripts/lib/stacks/pulumi-cli.js";
import { projectCopy } from "../support/project-copy.js";

const exec = promisify(execFile);

describe("Pulumi.dev.yaml", () => {
  const stackFile = parse(readFileSync(join(PROJECT_ROOT, "Pulumi.dev.yaml"), "utf8")) as {
    encryptionsalt?: string;
    config: Record<string, unknown>;
  };

  it("commits the salt of the published dev passphrase, so `pulumi stack init dev` writes nothing into it", { timeout: 20_000 }, () => {
    expect(passphraseUnlocks(DEV_PASSPHRASE, stackFile.encryptionsalt as string)).toBe(true);
    expect(passphraseUnlocks("another passphrase", stackFile.encryptionsalt as string)).toBe(false);
  });

  it("holds only plain, shared settings", () => {
    expect(Object.values(stackFile.config).every((v) => typeof v !== "object")).toBe(true);
    expect(Object.keys(stackFile.config).sort()).toEqual([
      "kinde-hasura:hasuraConsole",
      "kinde-hasura:hasuraDevMode",
      "kinde-hasura:hasuraPort",
      "kinde-hasura:postgresPort",
    ]);
  });
});

describe("npm run up on a fresh clone (stand-in pulumi and docker CLIs that record their calls)", () => {
  it("asks Pulumi to select the stack and deploy, and never to set config", { timeout: 30_000 }, async () => {
    const copy = projectCopy("up-fresh");
    const bin = join(copy.root, "..", "bin");
    const log = join(copy.root, "..", "calls.log");
    mkdirSync(bin);
    const standIn = (name: string) => {
      writeFileSync(
        join(bin, name),
        `#!/bin/sh\necho "${name} $* [passphrase=\${PULUMI_CONFIG_PASSPHRASE-unset}]" >> "${log}"\n[ "$1" = version ] && echo v0.0.0-stand-in\nexit 0\n`,
      );
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
