// Seed data (Hasura CLI layout) on a real PostgreSQL: idempotent, all-or-nothing, never on production.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, parseStackSettings } from "../../core/settings/stack-settings.js";
import { readMigrations } from "../../scripts/lib/db/migration-files.js";
import { migrateUp } from "../../scripts/lib/db/migrations.js";
import { applySeeds, readSeeds } from "../../scripts/lib/db/seeds.js";
import { freshDatabase, type TestDatabase } from "../support/database.js";
import { devConfig, prodKindeConfig, rsaKeyPair, SECRET_KEYS } from "../support/fixtures.js";
import { runProgram } from "../support/pulumi-program.js";

let db: TestDatabase;
beforeAll(async () => {
  db = await freshDatabase("seed");
  await migrateUp(db.client, readMigrations("migrations/default"), { source: "default" });
});
afterAll(() => db.drop());

const users = async () => (await db.client.query<{ id: string }>("SELECT id FROM public.users ORDER BY id")).rows.map((r) => r.id);

describe("the project's seeds", () => {
  it("give a fresh stack a few users, and running them again changes nothing", async () => {
    const seeds = readSeeds("seeds/default");
    await applySeeds(db.client, seeds);
    expect(await users()).toEqual(["kp_seed_ada", "kp_seed_alan", "kp_seed_grace"]);
    await applySeeds(db.client, seeds);
    expect(await users()).toEqual(["kp_seed_ada", "kp_seed_alan", "kp_seed_grace"]);
  });
});

describe("applying seeds", () => {
  it("is all or nothing: a failing file leaves no row of any file, and is named with its line", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "kh-seeds-")), "default");
    mkdirSync(dir);
    writeFileSync(join(dir, "1700000000001_first.sql"), "INSERT INTO public.users (id) VALUES ('seed-first') ON CONFLICT DO NOTHING;");
    writeFileSync(
      join(dir, "1700000000002_broken.sql"),
      "INSERT INTO public.users (id) VALUES ('seed-second');\nINSERT INTO public.nope VALUES (1);",
    );
    await expect(applySeeds(db.client, readSeeds(dir))).rejects.toThrow(
      `${join(dir, "1700000000002_broken.sql")}:2: relation "public.nope" does not exist`,
    );
    expect((await users()).filter((u) => u.startsWith("seed-"))).toEqual([]);
  });

  it("refuses anything in the directory that is not a seed file", () => {
    const dir = mkdtempSync(join(tmpdir(), "kh-seeds-"));
    writeFileSync(join(dir, "users.sql"), "SELECT 1;");
    expect(() => readSeeds(dir)).toThrow(
      `${join(dir, "users.sql")} is not a seed file; seeds are <13-digit version>_<name>.sql files (Hasura CLI layout)`,
    );
  });
});

describe("seeds in pulumi up", () => {
  it("run after the migrations on dev, watching seeds/", async () => {
    const run = await runProgram("dev", devConfig(rsaKeyPair().privateKeyPem), SECRET_KEYS);
    const seeds = run.get("command:local:Command", "seeds-run");
    expect(seeds.inputs.create).toBe("node --import tsx scripts/seed.ts apply");
    expect(seeds.dependsOn).toContain(run.get("command:local:Command", "migrations-run").urn);
  });

  it("never run on production, and forcing them there is refused", async () => {
    const run = await runProgram("prod", prodKindeConfig(), SECRET_KEYS);
    expect(run.resources.filter((r) => r.name.startsWith("seeds"))).toEqual([]);
    const forced = () => parseStackSettings((k) => ({ ...prodKindeConfig(), seedOnUp: "true" })[k], { project: "kinde-hasura", stack: "prod" });
    expect(forced).toThrow(ConfigError);
    expect(forced).toThrow(
      'kinde-hasura:seedOnUp must be "auto" or "false" on a production stack (production: true): seed data never goes to production; got "true"',
    );
  });
});
