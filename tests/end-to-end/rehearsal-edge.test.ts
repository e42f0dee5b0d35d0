// The deploy REHEARSAL of a non-production stack with a public host and scheduled backups (stand-ins for
// the engine, Docker and Hasura; the TLS edge stood in by Debian's Caddy with `tls internal` on 127.0.0.1
// and a Caddyfile from the same generator as the container's; the backup container by its own script
// under this machine's /bin/sh). One rehearsal for both, as each is a whole deploy: the smoke passes
// directly and once more through the edge, the edge refuses the metadata API, and the backup container
// starts its schedule against the stack's Postgres.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { type RehearsalReport, rehearse } from "../../dev/rehearsal/rehearse.js";
import { type ProjectCopy, projectCopy } from "../support/project-copy.js";

describe("the rehearsal of a stack with a TLS edge and scheduled backups (stand-ins for the engine, Docker, Hasura and the edge)", () => {
  let copy: ProjectCopy;
  let report: RehearsalReport;
  beforeAll(async () => {
    copy = projectCopy("rehearse-edge");
    // A daily backup time, not an interval: an interval with no backup yet backs up at once, and this
    // machine's pg_dump may not match the stand-in's PostgreSQL; the schedule is what is rehearsed.
    copy.write(
      "Pulumi.edge.yaml",
      "config:\n  kinde-hasura:hasuraConsole: true\n  kinde-hasura:publicHost: api.example.com\n  kinde-hasura:acmeEmail: ops@example.com\n" +
        '  kinde-hasura:backupDailyAt: "03:00"\n  kinde-hasura:backupRetention: 3\n  kinde-hasura:backupHostDir: /var/backups/kh\n',
    );
    // The type-check is the dev rehearsal's and tsc's to prove; Pulumi's own switch skips it here.
    report = await rehearse({
      projectRoot: copy.root,
      stack: "edge",
      stateRoot: copy.stateRoot,
      env: { ...process.env, PULUMI_NODEJS_TRANSPILE_ONLY: "true" },
    });
  }, 90_000);

  it("passes the smoke directly and through the edge, and the edge refuses /v1/metadata", () => {
    expect(report.failure).toBeUndefined();
    expect(report.timeline.map((t) => t.name)).toContain("edge");
    expect(report.outputs.graphqlUrl).toBe("https://api.example.com/v1/graphql");
    expect(report.smokeOutput).toContain("27 passed, 0 failed");
    expect(report.edge?.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(report.edge?.smokeOutput).toContain(`Smoke test of ${report.edge?.url}`);
    expect(report.edge?.smokeOutput).toContain("27 passed, 0 failed (allowed checks used signed dev tokens)");
    expect(report.edge?.metadataStatus).toBe(404);
  });

  it("starts the backup container's schedule beside the stack, with the host copy kept inside the rehearsal", () => {
    expect(report.timeline.map((t) => t.name)).toContain("backup");
    expect(report.backups).toEqual([{ container: "kinde-hasura-edge-backup", log: "backups: daily at 03:00 UTC, no interval, keeping 3\n" }]);
    expect(report.outputs.backupVolume).toBe("kinde-hasura-edge-backups");
    // The bind mount's host side is made inside the rehearsal's state, never on this machine's /var.
    expect(existsSync("/var/backups/kh")).toBe(false);
    expect(existsSync(join(copy.stateRoot, "edge", "host", "var", "backups", "kh"))).toBe(true);
  });
});
