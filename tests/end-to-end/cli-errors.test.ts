// Bad input to every CLI, as a person types it: a clear one-line message and exit 2 for usage errors,
// exit 1 for a failure it can name, and never a stack trace or a secret.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../scripts/lib/net/free-port.js";
import { freshDatabase, type TestDatabase } from "../support/database.js";

const exec = promisify(execFile);
const STACK_TRACE = /\n\s+at .+\(.*:\d+:\d+\)/;

async function cli(script: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string }> {
  const clean = { ...process.env };
  for (const k of [
    "DATABASE_URL",
    "HASURA_GRAPHQL_ENDPOINT",
    "HASURA_GRAPHQL_ADMIN_SECRET",
    "DEV_SIGNING_KEY",
    "SMOKE_JWT_POLICY",
    "PULUMI_BACKEND_URL",
  ])
    delete clean[k];
  try {
    const path = script.includes("/") ? script : `scripts/${script}.ts`;
    const { stdout, stderr } = await exec(process.execPath, ["--import", "tsx", path, ...args], {
      env: { ...clean, ...env, PATH: "/usr/bin:/bin" },
      timeout: 30_000,
    });
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr };
  }
}

/** Runs cases two at a time (the machine has two cores). */
async function inPairs<T, R>(items: T[], run: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += 2) out.push(...(await Promise.all(items.slice(i, i + 2).map(run))));
  return out;
}

describe("every CLI on bad input", () => {
  let db: TestDatabase;
  let closedPort: number;
  beforeAll(async () => {
    db = await freshDatabase("cli");
    closedPort = await freePort();
  });
  afterAll(() => db.drop());

  it("exits 2 with the usage for unknown flags, missing values, negative numbers and stray words", { timeout: 120_000 }, async () => {
    const cases: Array<[string, string[], string]> = [
      ["migrate", ["down", "--steps", "-1"], "usage: npm run migrate"],
      ["migrate", ["down", "--steps", "0"], "--steps must be a whole number of 1 or more"],
      ["migrate", ["up", "--dry-run"], "Unknown option '--dry-run'"],
      ["migrate", ["up"], "DATABASE_URL is not set"],
      ["token", ["--sub", "kp", "--ttl", "-1h"], "usage: npm run token"],
      ["smoke", ["--timeout", "-5"], "usage: npm run smoke"],
      ["smoke", ["--timeout", "0"], "--timeout must be a whole number of seconds from 1 to 3600"],
      ["smoke", ["--bogus"], "Unknown option '--bogus'"],
      ["smoke", ["--endpoint"], "argument missing"],
      ["preview-stack", ["prune", "--older-than", "-1d"], "usage: npm run preview-stack"],
      ["preview-stack", ["up", "--name=pr-42", "--yes"], "Unknown option '--yes'"],
      ["metadata", ["build", "--dri", "x"], "Unknown option '--dri'"],
      ["permissions", ["extra"], "Unexpected argument 'extra'"],
      ["kinde", ["ensure", "extra"], "usage: npm run kinde -- ensure"],
      ["stack", ["sideways"], "usage: npm run up"],
      ["seed", ["plant"], "usage: npm run seed -- apply"],
      ["backup", [], "--out <file> is required"],
      ["restore", ["--from", "x.dump"], "DATABASE_URL is not set"],
      ["restore", ["--from", "x.dump", "--yes", "--production", "--stack"], "argument missing"],
      ["restore", ["--stack", "../prod", "--from", "x.dump", "--yes"], '--stack must be a stack name such as dev or pr-42; got "../prod"'],
      ["backup", ["--stack", "dev\u0007", "--out", "x.dump"], "--stack must be a stack name such as dev or pr-42"],
      // npm run web: every option checked before the stack is read (no Pulumi CLI needed to see these).
      ["examples/web/serve.ts", ["--port", "99999"], '--port must be a port from 1 to 65535; got "99999"'],
      ["examples/web/serve.ts", ["--port", "3000", "--sign-in-port", "3000"], "--sign-in-port must differ from --port"],
      ["examples/web/serve.ts", ["--token-lifetime", "10"], "--token-lifetime must be a whole number of seconds from 60 to 86400"],
      ["examples/web/serve.ts", ["--stack", "../prod"], '--stack must be a stack name such as dev or pr-42; got "../prod"'],
    ];
    const results = await inPairs(cases, ([script, args]) => cli(script, args));
    results.forEach(({ code, out }, i) => {
      const [script, args, expected] = cases[i] as [string, string[], string];
      expect(code, `${script} ${args.join(" ")}: ${out}`).toBe(2);
      expect(out, `${script} ${args.join(" ")}`).toContain(expected);
      expect(out).not.toMatch(STACK_TRACE);
    });
  });

  it("kinde ensure refuses a bad app URL or token lifetime before it asks Kinde for anything (exit 2)", { timeout: 60_000 }, async () => {
    // A domain that cannot resolve: had the check come after the token request, the error would name the network.
    const management = {
      KINDE_MANAGEMENT_DOMAIN: "nowhere.invalid",
      KINDE_MANAGEMENT_CLIENT_ID: "m",
      KINDE_MANAGEMENT_CLIENT_SECRET: "never-shown-password",
    };
    const cases: Array<[Record<string, string>, string]> = [
      [
        { KINDE_APP_CLIENT_ID: "spa", KINDE_APP_URL: "http://127.0.0.1:3000/callback" },
        "KINDE_APP_URL must be an origin such as http://127.0.0.1:3000",
      ],
      [{ KINDE_APP_CLIENT_ID: "spa", KINDE_APP_URL: "http://x\u001b[31m" }, "KINDE_APP_URL must be an origin"],
      [
        { KINDE_APP_CLIENT_ID: "spa", KINDE_ACCESS_TOKEN_LIFETIME: "-60" },
        "KINDE_ACCESS_TOKEN_LIFETIME must be a whole number of seconds from 60 to 86400",
      ],
      [{ KINDE_ACCESS_TOKEN_LIFETIME: "900" }, "KINDE_ACCESS_TOKEN_LIFETIME applies to the front-end application: set KINDE_APP_CLIENT_ID too"],
    ];
    const results = await inPairs(cases, ([env]) => cli("kinde", ["ensure"], { ...management, ...env }));
    results.forEach(({ code, out }, i) => {
      const [env, expected] = cases[i] as [Record<string, string>, string];
      expect(code, `${JSON.stringify(env)}: ${out}`).toBe(2);
      expect(out).toContain(expected);
      expect(out).not.toMatch(STACK_TRACE);
      expect(out).not.toContain("never-shown-password");
      expect(out).not.toContain("\u001b");
    });
  });

  it("exits 1 naming what failed: wrong paths, a closed port, an unmigrated database, a bad key", { timeout: 120_000 }, async () => {
    const closed = `postgres://postgres:never-shown-password@127.0.0.1:${closedPort}/app`;
    const cases: Array<[string, string[], Record<string, string>, string]> = [
      ["migrate", ["up", "--dir", "package.json"], { DATABASE_URL: db.url }, "is not a directory; pass --dir"],
      ["migrate", ["status"], { DATABASE_URL: closed }, `Cannot connect to postgres://postgres:***@127.0.0.1:${closedPort}/app`],
      ["metadata", ["check"], { DATABASE_URL: closed }, "Cannot connect to postgres://postgres:***@"],
      ["permissions", [], { DATABASE_URL: db.url }, "public.users does not exist in this database; run the migrations first"],
      ["seed", ["apply", "--stack", "prod"], { DATABASE_URL: db.url }, "Stack prod is a production stack: seed data never goes to production"],
      ["restore", ["--from", "nowhere.dump", "--yes"], { DATABASE_URL: db.url }, "nowhere.dump does not exist or is not a file; pass --from"],
      [
        "backup",
        ["--out", "x.dump"],
        { DATABASE_URL: "postgres://postgres:%zz-never-shown-password@127.0.0.1:1/app" },
        "has a password that is not valid percent-encoding",
      ],
      [
        "backup",
        ["--out", "x.dump"],
        { DATABASE_URL: "postgres://postgres@127.0.0.1:1/app?password=never-shown-password" },
        "carries a password query parameter; put the password in the URL",
      ],
      ["restore", ["--from", "tests", "--yes"], { DATABASE_URL: db.url }, "tests does not exist or is not a file"],
      // The backup's files are checked before the stack is read or Hasura stopped.
      [
        "restore",
        ["--stack", "prod", "--from", "nowhere.dump", "--yes", "--production"],
        {},
        "nowhere.dump does not exist or is not a file; pass --from",
      ],
      [
        "backup",
        ["--stack", "dev", "--out", "x.dump"],
        {},
        "The Pulumi CLI is not installed (no `pulumi` on PATH). Install it: https://www.pulumi.com/docs/iac/download-install/ " +
          "(for example `curl -fsSL https://get.pulumi.com | sh`).\n(or pass DATABASE_URL through the environment instead of --stack)",
      ],
      [
        "smoke",
        [],
        {
          HASURA_GRAPHQL_ENDPOINT: `http://127.0.0.1:${closedPort}`,
          HASURA_GRAPHQL_ADMIN_SECRET: "x".repeat(32),
          SMOKE_JWT_POLICY: JSON.stringify({ issuer: "urn:x", audience: "hasura", claims: "namespace", mode: "local" }),
          DEV_SIGNING_KEY: "-----BEGIN PRIVATE KEY-----\nnot-a-key-but-secret-text\n-----END PRIVATE KEY-----",
        },
        "is not a PEM private key; its contents are not shown",
      ],
    ];
    const results = await inPairs(cases, ([script, args, env]) => cli(script, args, env));
    results.forEach(({ code, out }, i) => {
      const [script, args, , expected] = cases[i] as [string, string[], Record<string, string>, string];
      expect(code, `${script} ${args.join(" ")}: ${out}`).toBe(script === "smoke" ? 2 : 1);
      expect(out, `${script} ${args.join(" ")}`).toContain(expected);
      expect(out).not.toMatch(STACK_TRACE);
      expect(out).not.toContain("never-shown-password");
      expect(out).not.toContain("not-a-key-but-secret-text");
    });
  });

  it("refuses --production without --stack: it guards production stacks, not URLs", async () => {
    const { code, out } = await cli("restore", ["--from", "x.dump", "--yes", "--production"], {
      DATABASE_URL: "postgres://postgres:never-shown-password@127.0.0.1:1/app",
    });
    expect(code).toBe(2);
    expect(out).toContain("--production applies only with --stack <name> (a production stack); leave it out with DATABASE_URL");
    expect(out).not.toContain("never-shown-password");
  });

  it("refuses --stack together with DATABASE_URL, before reading either", async () => {
    const { code, out } = await cli("restore", ["--stack", "dev", "--from", "x.dump", "--yes"], {
      DATABASE_URL: "postgres://postgres:never-shown-password@127.0.0.1:1/app",
    });
    expect(code).toBe(2);
    expect(out).toContain("Both --stack and DATABASE_URL are set; pick one (unset DATABASE_URL to use the stack)");
    expect(out).not.toContain("never-shown-password");
  });
});
