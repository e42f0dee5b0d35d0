// The deploy REHEARSAL of the dev stack (local signing mode): the program run as the engine starts it,
// every local command for real, and stand-ins for the engine, Docker (a real PostgreSQL) and Hasura
// (configured only from the container's environment). Proves the glue between the program and its
// steps; proves nothing about Docker or Hasura themselves.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { type RehearsalReport, rehearse } from "../../dev/rehearsal/rehearse.js";
import { type ProjectCopy, projectCopy } from "../support/project-copy.js";
import { generatedCredentials, openRehearsedDatabase } from "../support/rehearsal-state.js";

const ops = (r: RehearsalReport) => Object.fromEntries(r.timeline.map((t) => [t.name, t.operation]));

describe("the rehearsal of the dev stack (stand-ins for the engine, Docker and Hasura)", () => {
  let copy: ProjectCopy;
  let first: RehearsalReport;
  let second: RehearsalReport;
  let third: RehearsalReport;

  beforeAll(async () => {
    copy = projectCopy("rehearse-dev");
    const run = () => rehearse({ projectRoot: copy.root, stack: "dev", stateRoot: copy.stateRoot, env: process.env });
    first = await run();
    second = await run();
    copy.write("migrations/default/1764115300000_add_users_email/up.sql", "ALTER TABLE public.users ADD COLUMN email text;\n");
    copy.write("migrations/default/1764115300000_add_users_email/down.sql", "ALTER TABLE public.users DROP COLUMN email;\n");
    third = await run();
  }, 120_000);

  it("deploys every resource and passes the smoke gate with signed dev tokens", () => {
    expect(first.failure).toBeUndefined();
    expect(first.ok).toBe(true);
    expect(Object.values(ops(first)).every((op) => op === "create")).toBe(true);
    expect(first.timeline.map((t) => t.name)).toEqual(
      expect.arrayContaining(["postgres", "database-role", "migrations-run", "hasura", "metadata-run", "smoke-run"]),
    );
    expect(first.smokeOutput).toContain("27 passed, 0 failed (allowed checks used signed dev tokens)");
    // Every step ends when its work does: none was kept running by a handle left open (run-cli.ts says so when one is).
    const lingering = first.timeline.filter((t) => t.output?.includes("something left a handle open")).map((t) => t.name);
    expect(lingering).toEqual([]);
    expect(first.outputs.jwtIssuer).toBe("https://local-signer.invalid/kinde-hasura/dev");
    // Whatever host port the stack asks for (8080), the stand-in publishes a free one and reports it.
    expect(first.outputs.hasuraUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(first.outputs.hasuraUrl).not.toBe("http://127.0.0.1:8080");
  });

  it("runs each step only after what it depends on, as the engine orders them", () => {
    const at = (name: string) => first.timeline.find((t) => t.name === name) as { start: number; ms: number };
    const end = (name: string) => at(name).start + at(name).ms;
    expect(at("database-role").start).toBeGreaterThanOrEqual(end("postgres"));
    expect(at("migrations-run").start).toBeGreaterThanOrEqual(end("database-role"));
    expect(at("metadata-run").start).toBeGreaterThanOrEqual(Math.max(end("hasura"), end("migrations-run")));
    expect(at("smoke-run").start).toBeGreaterThanOrEqual(end("metadata-run"));
  });

  it("runs no command again in a second rehearsal with the same state", () => {
    expect(second.ok).toBe(true);
    expect(Object.entries(ops(second)).filter(([, op]) => op !== "same")).toEqual([]);
    expect(second.timeline.filter((t) => t.output !== undefined)).toEqual([]);
    // The stand-ins came back on the same ports, so nothing downstream changed.
    expect(second.outputs.hasuraUrl).toBe(first.outputs.hasuraUrl);
    expect(second.outputs.postgresPort).toBe(first.outputs.postgresPort);
  });

  it("after a new migration runs again only the steps that watch migrations/", () => {
    expect(third.failure?.message).toBeUndefined();
    expect(third.ok).toBe(true);
    const changed = Object.entries(ops(third))
      .filter(([, op]) => op !== "same")
      .map(([name, op]) => `${name}:${op}`);
    expect(changed.sort()).toEqual(["migrations-run:replace", "migrations-sync-run:replace", "smoke-run:replace"]);
    // seeds/ did not change: the seed step did not run again.
    expect(ops(third)["seeds-run"]).toBe("same");
    expect(third.timeline.find((t) => t.name === "migrations-run")?.output).toContain("applied 1764115300000_add_users_email");
    expect(third.smokeOutput).toContain("27 passed, 0 failed");
  });

  it("keeps no secret in plain text in its state, and keeps what it generated for the next rehearsal", () => {
    const stateText = readFileSync(join(copy.stateRoot, "dev", "state.json"), "utf8");
    const generated = generatedCredentials(copy.stateRoot, "dev");
    expect(Object.keys(generated).sort()).toEqual([
      "credentials-admin-secret",
      "credentials-dev-signing-key",
      "credentials-hasura-db-password",
      "credentials-postgres-password",
    ]);
    const secrets = Object.values(generated);
    for (const secret of secrets) {
      expect(secret).toMatch(/.{20,}/);
      expect(stateText).not.toContain(secret);
      expect(stateText).not.toContain(encodeURIComponent(secret as string));
    }
    expect(stateText).not.toContain("BEGIN PRIVATE KEY");
    // The smoke's output is not shown with secrets either.
    for (const secret of secrets) expect(first.smokeOutput).not.toContain(secret);
  });

  it("leaves Hasura's cli_state in step with the applied migrations (the Hasura CLI would agree)", async () => {
    const db = await openRehearsedDatabase(copy.stateRoot, "dev");
    try {
      const { rows } = await db.client.query("SELECT cli_state FROM hdb_catalog.hdb_version");
      expect(rows[0].cli_state).toEqual({
        migrations: { default: { "1764115200000": false, "1764115300000": false } },
        settings: { migration_mode: "true" },
        isStateCopyCompleted: true,
      });
    } finally {
      await db.close();
    }
  });

  it("prints the critical path of the deploy from the dependency graph", () => {
    const path = first.criticalPath.map((n) => n.name);
    expect(path[0]).toBe("credentials-postgres-password");
    expect(path).toContain("database-catalog");
    expect(path).not.toContain("migrations-run");
    expect(path.slice(-2)).toEqual(["metadata-run", "smoke-run"]);
    const waits = Object.fromEntries(first.waits.map((w) => [w.step, w.waitsFor]));
    expect(waits["metadata-run"]).toEqual(expect.arrayContaining(["hasura"]));
    expect(waits["smoke-run"]).toEqual(["metadata-run"]);
  });
});
