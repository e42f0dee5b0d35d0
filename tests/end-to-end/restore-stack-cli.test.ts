// `npm run backup|restore -- --stack dev` end to end on a real PostgreSQL 15 (Debian's, with its
// pg_dump and pg_restore), with RECORDED pulumi, docker and npm: fakes on PATH that answer the stack's
// config and outputs and log their calls. They prove what the CLIs ask of those tools and in which
// order, not what Docker or Hasura do; /healthz is a 127.0.0.1 server answering as Hasura's does.
import { execFile } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../core/project-root.js";
import { DEBIAN_PG_BIN, type DebianPostgres, startDebianPostgres } from "../../dev/postgres/debian-postgres.js";
import { withoutSmokeOverrides } from "../../scripts/lib/stacks/stack-restore.js";
import { prodKindeConfig, SECRET_KEYS } from "../support/fixtures.js";

const exec = promisify(execFile);
const ADMIN_SECRET = "recorded-admin-secret-0123456789abcdef";
let server: DebianPostgres;
let healthz: Server;
let work: string;

async function sql(database: string, text: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: `${server.url}/${database}` });
  await client.connect();
  try {
    return await client.query(text);
  } finally {
    await client.end();
  }
}

/** Fakes that log `<tool> <args>` (and, for npm, its cwd and endpoint) to calls.log. */
function writeFakes(outputs: Record<string, unknown>, config: Record<string, { value: string; secret?: boolean }> = {}): string {
  const bin = mkdtempSync(join(tmpdir(), "kh-fakes-"));
  const log = join(work, "calls.log");
  const script = (name: string, body: string) => {
    writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  };
  writeFileSync(join(bin, "outputs.json"), JSON.stringify(outputs));
  writeFileSync(join(bin, "config.json"), JSON.stringify(config));
  script("pulumi", `case "$1" in version) echo v3.200.0;; config) cat "${bin}/config.json";; stack) cat "${bin}/outputs.json";; *) exit 3;; esac`);
  script("docker", `echo "docker $*" >> "${log}"`);
  script("npm", `echo "npm $* cwd=$PWD endpoint=\${HASURA_GRAPHQL_ENDPOINT:-unset} secret=\${HASURA_GRAPHQL_ADMIN_SECRET:+set}" >> "${log}"`);
  return bin;
}

async function cli(script: string, args: string[], bin: string, env: Record<string, string> = {}): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await exec(
      process.execPath,
      ["--import", join(PROJECT_ROOT, "node_modules/tsx/dist/esm/index.mjs"), join(PROJECT_ROOT, `scripts/${script}.ts`), ...args],
      {
        // From another directory: the CLIs must find their project themselves.
        cwd: work,
        env: { PATH: `${bin}:/usr/bin:/bin`, HOME: work, PG_BIN_DIR: DEBIAN_PG_BIN, ...env },
        timeout: 60_000,
      },
    );
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr };
  }
}

beforeAll(async () => {
  server = await startDebianPostgres();
  await sql("postgres", "CREATE DATABASE app");
  await sql("app", "CREATE TABLE notes (id int PRIMARY KEY, body text); INSERT INTO notes VALUES (1, 'before the backup')");
  healthz = createServer((req, res) => res.end(req.url === "/healthz" ? "OK" : "")).listen(0, "127.0.0.1");
  await new Promise((r) => healthz.once("listening", r));
  work = mkdtempSync(join(tmpdir(), "kh-restore-cli-"));
}, 60_000);
afterAll(() => {
  server?.stop();
  healthz?.close();
});

describe("backup and restore --stack (recorded pulumi, docker and npm; real PostgreSQL 15)", () => {
  const outputs = () => ({
    postgresPort: Number(new URL(server.url).port),
    postgresSuperuserPassword: decodeURIComponent(new URL(server.url).password),
    hasuraUrl: `http://127.0.0.1:${(healthz.address() as AddressInfo).port}`,
    hasuraAdminSecret: ADMIN_SECRET,
  });

  it("backs up the stack's database, and restores it with Hasura stopped, then metadata and smoke from the project", {
    timeout: 90_000,
  }, async () => {
    const bin = writeFakes(outputs());
    const backup = await cli("backup", ["--stack", "dev", "--out", "dev.dump"], bin);
    expect(backup.code, backup.out).toBe(0);
    expect(backup.out).toContain(`Backed up to ${join(work, "dev.dump")} and ${join(work, "dev.dump.roles.sql")}`);
    await sql("app", "UPDATE notes SET body = 'changed after the backup'");

    // A caller's own endpoint must not steer the smoke away from the restored stack.
    const restore = await cli("restore", ["--stack", "dev", "--from", "dev.dump", "--yes"], bin, {
      HASURA_GRAPHQL_ENDPOINT: "http://127.0.0.1:9/elsewhere",
    });
    expect(restore.code, restore.out).toBe(0);
    expect((await sql("app", "SELECT body FROM notes")).rows).toEqual([{ body: "before the backup" }]);
    const endpoint = outputs().hasuraUrl;
    expect(readFileSync(join(work, "calls.log"), "utf8").trim().split("\n")).toEqual([
      "docker stop kinde-hasura-dev-hasura",
      "docker start kinde-hasura-dev-hasura",
      `npm run -s metadata -- apply cwd=${PROJECT_ROOT} endpoint=${endpoint} secret=set`,
      `npm run -s smoke -- --stack dev cwd=${PROJECT_ROOT} endpoint=unset secret=`,
    ]);
    expect(restore.out).not.toContain(ADMIN_SECRET);
    expect(restore.out).not.toContain(outputs().postgresSuperuserPassword);
  });

  it("stops nothing when the dump is unreadable or the stack has no admin secret", { timeout: 60_000 }, async () => {
    writeFileSync(join(work, "garbage.dump"), "not a dump");
    writeFileSync(join(work, "garbage.dump.roles.sql"), "");
    writeFileSync(join(work, "calls.log"), "");
    const garbage = await cli("restore", ["--stack", "dev", "--from", "garbage.dump", "--yes"], writeFakes(outputs()));
    expect(garbage.code).toBe(1);
    expect(garbage.out).toContain(`reading ${join(work, "garbage.dump")} (pg_restore --list) failed`);
    const { hasuraAdminSecret, ...withoutSecret } = outputs();
    void hasuraAdminSecret;
    const noSecret = await cli("restore", ["--stack", "dev", "--from", "dev.dump", "--yes"], writeFakes(withoutSecret));
    expect(noSecret.code).toBe(1);
    expect(noSecret.out).toContain("Stack dev has no admin secret in its config or outputs; run `pulumi up --stack dev` first");
    expect(readFileSync(join(work, "calls.log"), "utf8")).toBe("");
  });

  it("a failed backup leaves the earlier backup at --out as it was", { timeout: 60_000 }, async () => {
    writeFileSync(join(work, "keep.dump"), "GOOD");
    writeFileSync(join(work, "keep.dump.roles.sql"), "GOOD ROLES");
    const closed = await cli("backup", ["--out", "keep.dump"], writeFakes(outputs()), {
      DATABASE_URL: "postgres://postgres:never-shown@127.0.0.1:1/app",
    });
    expect(closed.code).toBe(1);
    expect(closed.out).not.toContain("never-shown");
    expect(readFileSync(join(work, "keep.dump"), "utf8")).toBe("GOOD");
    expect(readFileSync(join(work, "keep.dump.roles.sql"), "utf8")).toBe("GOOD ROLES");
    expect(() => readFileSync(join(work, "keep.dump.partial"))).toThrow();
  });

  it("refuses a production stack without --production, before touching it", { timeout: 60_000 }, async () => {
    writeFileSync(join(work, "calls.log"), "");
    const prod = Object.fromEntries(
      Object.entries(prodKindeConfig()).map(([k, value]) => [`kinde-hasura:${k}`, { value, secret: SECRET_KEYS.includes(k) }]),
    );
    const refused = await cli("restore", ["--stack", "prod", "--from", "dev.dump", "--yes"], writeFakes(outputs(), prod));
    expect(refused.code).toBe(2);
    expect(refused.out).toContain("Stack prod is a production stack: restoring replaces its live data. Pass --production as well to go ahead");
    expect(readFileSync(join(work, "calls.log"), "utf8")).toBe("");
  });

  it("on Ctrl-C during the restore, starts Hasura again and exits 130", { timeout: 60_000 }, async () => {
    writeFileSync(join(work, "calls.log"), "");
    // pg_restore that reads the dump (and says its version) as the real one does, but hangs in the restore itself.
    const pgBin = mkdtempSync(join(tmpdir(), "kh-pgbin-"));
    for (const tool of ["psql", "pg_dump", "pg_dumpall"]) writeFileSync(join(pgBin, tool), `#!/bin/sh\nexec ${DEBIAN_PG_BIN}/${tool} "$@"\n`);
    writeFileSync(
      join(pgBin, "pg_restore"),
      `#!/bin/sh\ncase "$1" in --list|--version) exec ${DEBIAN_PG_BIN}/pg_restore "$@";; esac\nexec sleep 30\n`,
    );
    for (const tool of ["psql", "pg_dump", "pg_dumpall", "pg_restore"]) chmodSync(join(pgBin, tool), 0o755);
    const { spawn } = await import("node:child_process");
    const child = spawn(
      process.execPath,
      [
        "--import",
        join(PROJECT_ROOT, "node_modules/tsx/dist/esm/index.mjs"),
        join(PROJECT_ROOT, "scripts/restore.ts"),
        "--stack",
        "dev",
        "--from",
        "dev.dump",
        "--yes",
      ],
      {
        cwd: work,
        env: { PATH: `${writeFakes(outputs())}:/usr/bin:/bin`, HOME: work, PG_BIN_DIR: pgBin },
        // Its own process group: Ctrl-C in a terminal signals the whole group, pg_restore included.
        detached: true,
      },
    );
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    const deadline = Date.now() + 30_000;
    while (!out.includes("- restore") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 300));
    process.kill(-(child.pid as number), "SIGINT");
    expect(await exited).toBe(130);
    expect(out).toContain("Interrupted: starting kinde-hasura-dev-hasura again.");
    expect(readFileSync(join(work, "calls.log"), "utf8").trim().split("\n")).toEqual([
      "docker stop kinde-hasura-dev-hasura",
      "docker start kinde-hasura-dev-hasura",
    ]);
  });

  it("drops the smoke's environment overrides and nothing else", () => {
    expect(
      withoutSmokeOverrides({
        PATH: "/bin",
        HASURA_GRAPHQL_ENDPOINT: "x",
        DEV_SIGNING_KEY: "k",
        SMOKE_TOKEN: "t",
        KINDE_MANAGEMENT_DOMAIN: "d",
        KINDE_DOMAIN: "old",
        HOME: "/h",
      }),
    ).toEqual({ PATH: "/bin", HOME: "/h" });
  });
});
