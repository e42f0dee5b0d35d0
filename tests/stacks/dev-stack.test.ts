// `npm run up` / `npm run down` without the Pulumi CLI or Docker: a recording runner stands in for
// both (tests/support/recording-runner.ts), so these tests check the command lines built and the
// decisions made, not Pulumi itself.

import { createCipheriv, pbkdf2Sync, randomBytes } from "node:crypto";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../core/project-root.js";
import type { Runner } from "../../scripts/lib/cli/shell.js";
import { devStackDown, devStackUp } from "../../scripts/lib/stacks/dev-stack.js";
import { DEV_PASSPHRASE, pulumiEnvironment } from "../../scripts/lib/stacks/pulumi-cli.js";
import { StackCommandError } from "../../scripts/lib/stacks/stack-file.js";
import { type Call, pulumiLines, recordingRunner } from "../support/recording-runner.js";

function options(run: Runner, env: NodeJS.ProcessEnv = {}) {
  const repoRoot = mkdtempSync(join(tmpdir(), "kh-up-"));
  const log: string[] = [];
  return { run, env, repoRoot, stack: "dev", passThrough: ["--yes"], log: (l: string) => log.push(l), logged: log };
}

describe("npm run up", () => {
  it("names each missing tool and how to install it, before running anything else", () => {
    const { run, calls } = recordingRunner({ pulumi: { code: 127 }, docker: { code: 127 } });
    expect(() => devStackUp(options(run))).toThrow(StackCommandError);
    expect(() => devStackUp(options(run))).toThrow(
      new RegExp(
        "^The Pulumi CLI is not installed \\(no `pulumi` on PATH\\)\\. Install it: https://www\\.pulumi\\.com/docs/iac/download-install/.*\\n" +
          "Docker is not installed \\(no `docker` on PATH\\)\\. Install Docker Desktop or Docker Engine: https://docs\\.docker\\.com/get-docker/$",
      ),
    );
    expect(calls.map((c) => `${c.command} ${c.args[0]}`)).toEqual(["pulumi version", "docker version", "pulumi version", "docker version"]);
  });

  it("says when Docker is installed but its daemon does not answer", () => {
    const { run } = recordingRunner({ "docker version": { code: 1 } });
    expect(() => devStackUp(options(run))).toThrow(/^Docker is installed but its daemon does not answer/);
  });

  it("selects or creates the stack and runs pulumi up, setting no config at all", () => {
    const { run, calls } = recordingRunner({});
    const o = options(run);
    expect(devStackUp(o)).toBe(0);
    expect(pulumiLines(calls)).toEqual(["stack select dev --create --non-interactive", "up --stack dev --yes"]);
    expect(calls.at(-1)?.options.interactive).toBe(true);
  });

  it("uses the published dev passphrase for dev, and a generated passphrase file for other stacks", () => {
    const { run, calls } = recordingRunner({});
    const o = options(run);
    devStackUp(o);
    const env = calls.at(-1)?.options.env ?? {};
    expect(env.PULUMI_BACKEND_URL).toBe(`file://${join(o.repoRoot, ".pulumi")}`);
    expect(env.PULUMI_CONFIG_PASSPHRASE).toBe(DEV_PASSPHRASE);
    expect(env.PULUMI_CONFIG_PASSPHRASE_FILE).toBeUndefined();

    const other = recordingRunner({});
    const o2 = { ...options(other.run), stack: "pr-42" };
    devStackUp(o2);
    const env2 = other.calls.at(-1)?.options.env ?? {};
    expect(env2.PULUMI_CONFIG_PASSPHRASE).toBeUndefined();
    const file = env2.PULUMI_CONFIG_PASSPHRASE_FILE as string;
    expect(file).toBe(join(o2.repoRoot, ".pulumi", "passphrase"));
    expect(readFileSync(file, "utf8")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it("keeps a dev stack made before the published passphrase on its own passphrase file", { timeout: 20_000 }, () => {
    const repoRoot = mkdtempSync(join(tmpdir(), "kh-old-dev-"));
    // A salt made with another passphrase, as `pulumi stack init dev` wrote it for such a stack.
    const salt = randomBytes(8);
    const key = pbkdf2Sync("an-old-generated-passphrase", salt, 1_000_000, 32, "sha256");
    const nonce = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", key, nonce);
    const sealed = Buffer.concat([cipher.update("pulumi"), cipher.final(), cipher.getAuthTag()]);
    writeFileSync(
      join(repoRoot, "Pulumi.dev.yaml"),
      `encryptionsalt: v1:${salt.toString("base64")}:v1:${nonce.toString("base64")}:${sealed.toString("base64")}\n`,
    );
    mkdirSync(join(repoRoot, ".pulumi"));
    writeFileSync(join(repoRoot, ".pulumi", "passphrase"), "an-old-generated-passphrase", { mode: 0o600 });
    const { env, notes } = pulumiEnvironment({}, repoRoot, "dev");
    expect(env.PULUMI_CONFIG_PASSPHRASE).toBeUndefined();
    expect(env.PULUMI_CONFIG_PASSPHRASE_FILE).toBe(join(repoRoot, ".pulumi", "passphrase"));
    expect(notes.at(-1)).toMatch(/^Pulumi\.dev\.yaml's salt is not the published dev passphrase's: using /);
    // The committed salt is the published passphrase's: then the file is not used, even if present.
    copyFileSync(join(PROJECT_ROOT, "Pulumi.dev.yaml"), join(repoRoot, "Pulumi.dev.yaml"));
    expect(pulumiEnvironment({}, repoRoot, "dev").env.PULUMI_CONFIG_PASSPHRASE).toBe(DEV_PASSPHRASE);
  });

  it("names a stack file that is not YAML instead of failing with a trace", () => {
    const { run } = recordingRunner({});
    const o = { ...options(run), stack: "broken" };
    writeFileSync(join(o.repoRoot, "Pulumi.broken.yaml"), "config:\n  a: [unclosed\n");
    expect(() => devStackUp(o)).toThrow(/Pulumi\.broken\.yaml is not valid YAML: /);
  });

  it("keeps the user's own backend and passphrase", () => {
    const { env, notes } = pulumiEnvironment({ PULUMI_BACKEND_URL: "s3://bucket", PULUMI_CONFIG_PASSPHRASE: "" }, "/nowhere", "dev");
    expect(env.PULUMI_BACKEND_URL).toBe("s3://bucket");
    expect(env.PULUMI_CONFIG_PASSPHRASE).toBe("");
    expect(env.PULUMI_CONFIG_PASSPHRASE_FILE).toBeUndefined();
    expect(notes).toEqual([]);
  });

  it("refuses a production stack however its stack file spells production: true", () => {
    for (const spelling of ["true", "true # the real one", "'true'", "True", '"TRUE"']) {
      const { run, calls } = recordingRunner({});
      const o = { ...options(run), stack: "prod" };
      writeFileSync(join(o.repoRoot, "Pulumi.prod.yaml"), `config:\n  kinde-hasura:production: ${spelling}\n`);
      expect(() => devStackUp(o), spelling).toThrow(
        "Stack prod is a production stack (production: true in Pulumi.prod.yaml); npm run up is for dev and preview stacks. " +
          "Deploy production with `pulumi up --stack prod` (docs/environments.md).",
      );
      expect(pulumiLines(calls)).toEqual([]);
    }
    const { run } = recordingRunner({});
    const o = { ...options(run), stack: "staging" };
    writeFileSync(join(o.repoRoot, "Pulumi.staging.yaml"), "config:\n  kinde-hasura:production: false # not yet\n");
    expect(devStackUp(o)).toBe(0);
  });

  it("names the one line Pulumi writes into a tracked stack file that has no salt, and says to commit it", () => {
    // Pulumi's passphrase provider stores a new salt only in a stack file without one (pulumi/pulumi
    // pkg/secrets/passphrase/manager.go, NewPromptingPassphraseSecretsManager): this runner does that on
    // `stack select --create`, as the CLI would.
    const withSaltWriter = (repoRoot: string, stack: string): { run: Runner; calls: Call[] } => {
      const recorded = recordingRunner({});
      const file = join(repoRoot, `Pulumi.${stack}.yaml`);
      const run: Runner = (command, args, opts) => {
        if (command === "pulumi" && args[0] === "stack" && args[1] === "select" && !/^encryptionsalt:/m.test(readFileSync(file, "utf8"))) {
          writeFileSync(file, `encryptionsalt: v1:c2FsdHNhbHQ=:v1:bm9uY2U=:Y2hlY2s=\n${readFileSync(file, "utf8")}`);
        }
        return recorded.run(command, args, opts);
      };
      return { run, calls: recorded.calls };
    };
    const staging = options(recordingRunner({}).run);
    copyFileSync(join(PROJECT_ROOT, "Pulumi.staging.yaml"), join(staging.repoRoot, "Pulumi.staging.yaml"));
    expect(devStackUp({ ...staging, stack: "staging", run: withSaltWriter(staging.repoRoot, "staging").run })).toBe(0);
    expect(staging.logged.at(-1)).toBe(
      "Pulumi wrote one line into Pulumi.staging.yaml: `encryptionsalt`, the salt of this stack's passphrase and a check value encrypted with it (no secret). " +
        "Commit it with that file: the stack's --secret values decrypt only with it and the passphrase (docs/configuration.md, State and the passphrase).",
    );
    // dev's committed salt is the published passphrase's: nothing is written, nothing to say.
    const dev = options(recordingRunner({}).run);
    copyFileSync(join(PROJECT_ROOT, "Pulumi.dev.yaml"), join(dev.repoRoot, "Pulumi.dev.yaml"));
    expect(devStackUp({ ...dev, run: withSaltWriter(dev.repoRoot, "dev").run })).toBe(0);
    expect(dev.logged.filter((l) => l.includes("encryptionsalt"))).toEqual([]);
    expect(readFileSync(join(dev.repoRoot, "Pulumi.dev.yaml"), "utf8")).toBe(readFileSync(join(PROJECT_ROOT, "Pulumi.dev.yaml"), "utf8"));
  });

  it("stops with pulumi's message when the stack cannot be selected", () => {
    const { run, calls } = recordingRunner({ "pulumi stack select": { code: 255, stderr: "error: passphrase must be set" } });
    expect(() => devStackUp(options(run))).toThrow(
      "Selecting stack dev failed (pulumi stack select dev --create --non-interactive):\nerror: passphrase must be set",
    );
    expect(calls.some((c) => c.args[0] === "up")).toBe(false);
  });
});

describe("npm run down", () => {
  it("names a missing Docker before destroying anything", () => {
    const { run, calls } = recordingRunner({ docker: { code: 127 } });
    expect(() => devStackDown(options(run))).toThrow(/^Docker is not installed/);
    expect(calls.some((c) => c.args[0] === "destroy")).toBe(false);
  });

  it("refuses a production stack before destroying anything", () => {
    const { run, calls } = recordingRunner({});
    const o = { ...options(run), stack: "prod" };
    writeFileSync(join(o.repoRoot, "Pulumi.prod.yaml"), "config:\n  kinde-hasura:production: true\n");
    expect(() => devStackDown(o)).toThrow(/^Stack prod is a production stack \(production: true in Pulumi.prod.yaml\); npm run down is for dev/);
    expect(calls.some((c) => c.args[0] === "destroy")).toBe(false);
  });

  it("destroys the dev stack with the same backend", () => {
    const { run, calls } = recordingRunner({});
    const o = options(run);
    expect(devStackDown(o)).toBe(0);
    const last = calls.at(-1) as Call;
    expect([last.command, ...last.args]).toEqual(["pulumi", "destroy", "--stack", "dev", "--yes"]);
    expect(last.options.env?.PULUMI_BACKEND_URL).toBe(`file://${join(o.repoRoot, ".pulumi")}`);
  });
});
