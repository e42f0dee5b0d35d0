// The deploy REHEARSAL of a stack with scheduled backups (stand-ins for the engine, Docker and Hasura;
// the backup container stood in by its own script under this machine's /bin/sh): the program's
// container starts its schedule against the stack's Postgres, and the deploy still passes its smoke.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { rehearse } from "../scripts/lib/rehearsal/rehearse.js";
import { projectCopy } from "./support/project-copy.js";

describe("the rehearsal of a stack with scheduled backups (stand-ins for the engine, Docker and Hasura)", () => {
  it("starts the backup container's schedule beside the stack, with the host copy kept inside the rehearsal", { timeout: 90_000 }, async () => {
    const copy = projectCopy("rehearse-backup");
    // A daily time, not an interval: an interval with no backup yet backs up at once, and this
    // machine's pg_dump may not match the stand-in's PostgreSQL; the schedule is what is rehearsed.
    copy.write(
      "Pulumi.nightly.yaml",
      'config:\n  kinde-hasura:backupDailyAt: "03:00"\n  kinde-hasura:backupRetention: 3\n  kinde-hasura:backupHostDir: /var/backups/kh\n',
    );
    const report = await rehearse({
      projectRoot: copy.root,
      stack: "nightly",
      stateRoot: copy.stateRoot,
      env: { ...process.env, PULUMI_NODEJS_TRANSPILE_ONLY: "true" },
    });
    expect(report.failure).toBeUndefined();
    expect(report.timeline.map((t) => t.name)).toContain("backup");
    expect(report.backups).toEqual([{ container: "kinde-hasura-nightly-backup", log: "backups: daily at 03:00 UTC, no interval, keeping 3\n" }]);
    expect(report.outputs.backupVolume).toBe("kinde-hasura-nightly-backups");
    expect(report.smokeOutput).toContain("16 passed, 0 failed");
    // The bind mount's host side is made inside the rehearsal's state, never on this machine's /var.
    expect(existsSync("/var/backups/kh")).toBe(false);
    expect(existsSync(join(copy.stateRoot, "nightly", "host", "var", "backups", "kh"))).toBe(true);
  });
});
