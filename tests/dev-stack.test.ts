// `npm run up` / `npm run down` without the Pulumi CLI or Docker: a recording runner stands in for
// both (tests/support/recording-runner.ts), so these tests check the command lines built and the
// decisions made, not Pulumi itself.
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { devStackDown, devStackUp, missingSecrets, pulumiEnvironment, StackCommandError } from "../scripts/lib/dev-stack.js";
import type { Runner } from "../scripts/lib/shell.js";
import { parseStackSettings } from "../scripts/lib/stack-settings.js";
import { recordingRunner, type Call } from "./support/recording-runner.js";

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
      /^The Pulumi CLI is not installed \(no `pulumi` on PATH\)\. Install it: https:\/\/www\.pulumi\.com\/docs\/iac\/download-install\/.*\nDocker is not installed \(no `docker` on PATH\)\. Install Docker Desktop or Docker Engine: https:\/\/docs\.docker\.com\/get-docker\/$/,
    );
    expect(calls.map((c) => `${c.command} ${c.args[0]}`)).toEqual(["pulumi version", "docker version", "pulumi version", "docker version"]);
  });

  it("says when Docker is installed but its daemon does not answer", () => {
    const { run } = recordingRunner({ "docker version": { code: 1 } });
    expect(() => devStackUp(options(run))).toThrow(/^Docker is installed but its daemon does not answer/);
  });

  it("creates the stack, generates only the missing secrets through stdin, then runs pulumi up", () => {
    const { run, calls } = recordingRunner({
      "pulumi config --json": { stdout: JSON.stringify({ "kinde-hasura:hasuraAdminSecret": { secret: true }, "kinde-hasura:hasuraPort": { value: "8080" } }) },
    });
    const o = options(run);
    expect(devStackUp(o)).toBe(0);
    const pulumiCalls = calls.filter((c) => c.command === "pulumi" && c.args[0] !== "version");
    expect(pulumiCalls.map((c) => c.args.join(" "))).toEqual([
      "stack select dev --create --non-interactive",
      "config --json --stack dev",
      "config set --secret kinde-hasura:postgresPassword --stack dev",
      "config set --secret kinde-hasura:hasuraDbPassword --stack dev",
      "config set --secret kinde-hasura:devSigningKey --stack dev",
      "up --stack dev --yes",
    ]);
    const generated = Object.fromEntries(pulumiCalls.filter((c) => c.args[1] === "set").map((c) => [c.args[3]?.split(":")[1], c.options.input]));
    // The generated values make a valid dev stack: the config checks accept them.
    const settings = parseStackSettings((k) => (k === "hasuraAdminSecret" ? "x".repeat(48) : generated[k]), { project: "kinde-hasura", stack: "dev" });
    expect(settings.jwt.trust.kind).toBe("local");
    expect(generated.postgresPassword).toMatch(/^[A-Za-z0-9_-]{48}$/);
    expect(generated.postgresPassword).not.toBe(generated.hasuraDbPassword);
    for (const c of pulumiCalls) for (const value of Object.values(generated)) expect(c.args.join(" ")).not.toContain(value);
    expect(pulumiCalls.at(-1)?.options.interactive).toBe(true);
    expect(o.logged).toContain("Generated devSigningKey into the encrypted config of stack dev.");
  });

  it("uses a local file backend and a generated passphrase file when none is configured", () => {
    const { run, calls } = recordingRunner({ "pulumi config --json": { stdout: "{}" } });
    const o = options(run);
    devStackUp(o);
    const env = calls.at(-1)?.options.env ?? {};
    expect(env.PULUMI_BACKEND_URL).toBe(`file://${join(o.repoRoot, ".pulumi")}`);
    expect(env.PULUMI_CONFIG_PASSPHRASE_FILE).toBe(join(o.repoRoot, ".pulumi", "passphrase"));
    const file = env.PULUMI_CONFIG_PASSPHRASE_FILE as string;
    expect(readFileSync(file, "utf8")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it("keeps the user's own backend and passphrase", () => {
    const { env, notes } = pulumiEnvironment({ PULUMI_BACKEND_URL: "s3://bucket", PULUMI_CONFIG_PASSPHRASE: "" }, "/nowhere");
    expect(env.PULUMI_BACKEND_URL).toBe("s3://bucket");
    expect(env.PULUMI_CONFIG_PASSPHRASE).toBe("");
    expect(env.PULUMI_CONFIG_PASSPHRASE_FILE).toBeUndefined();
    expect(notes).toEqual([]);
  });

  it("refuses to generate secrets for a production stack", () => {
    const { run, calls } = recordingRunner({ "pulumi config --json": { stdout: "{}" } });
    const o = { ...options(run), stack: "prod" };
    writeFileSync(join(o.repoRoot, "Pulumi.prod.yaml"), "config:\n  kinde-hasura:production: true\n");
    expect(() => devStackUp(o)).toThrow(/^Stack prod is a production stack and lacks hasuraAdminSecret, postgresPassword, hasuraDbPassword, devSigningKey/);
    expect(calls.some((c) => c.args[0] === "up" || c.args[1] === "set")).toBe(false);
  });

  it("stops with pulumi's message when the stack cannot be selected", () => {
    const { run, calls } = recordingRunner({ "pulumi stack select": { code: 255, stderr: "error: passphrase must be set" } });
    expect(() => devStackUp(options(run))).toThrow("Selecting stack dev failed (pulumi stack select dev --create --non-interactive):\nerror: passphrase must be set");
    expect(calls.some((c) => c.args[0] === "up")).toBe(false);
  });
});

describe("npm run down", () => {
  it("names a missing Docker before destroying anything", () => {
    const { run, calls } = recordingRunner({ docker: { code: 127 } });
    expect(() => devStackDown(options(run))).toThrow(/^Docker is not installed/);
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

describe("missing secrets", () => {
  it("are read from pulumi config --json without needing their values; a bare \"\" default counts as missing", () => {
    expect(missingSecrets(JSON.stringify({ "kinde-hasura:postgresPassword": { secret: true }, "kinde-hasura:devSigningKey": { value: "", secret: false } }))).toEqual([
      "hasuraAdminSecret",
      "hasuraDbPassword",
      "devSigningKey",
    ]);
  });
});
