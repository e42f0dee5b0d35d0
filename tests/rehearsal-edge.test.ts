// The deploy REHEARSAL of a non-production stack with a public host (stand-ins for the engine, Docker
// and Hasura; the TLS edge stood in by Debian's Caddy with `tls internal` on 127.0.0.1 and a Caddyfile
// from the same generator as the container's): the smoke passes directly and once more through the
// edge, and the edge refuses the metadata API.
import { describe, expect, it } from "vitest";
import { rehearse } from "../scripts/lib/rehearsal/rehearse.js";
import { projectCopy } from "./support/project-copy.js";

describe("the rehearsal of a stack with a TLS edge (stand-ins for the engine, Docker, Hasura and the edge)", () => {
  it("passes the smoke directly and through the edge, and the edge refuses /v1/metadata", { timeout: 90_000 }, async () => {
    const copy = projectCopy("rehearse-edge");
    copy.write(
      "Pulumi.edge.yaml",
      "config:\n  kinde-hasura:hasuraConsole: true\n  kinde-hasura:publicHost: api.example.com\n  kinde-hasura:acmeEmail: ops@example.com\n",
    );
    // The type-check is the dev rehearsal's and tsc's to prove; Pulumi's own switch skips it here.
    const report = await rehearse({
      projectRoot: copy.root,
      stack: "edge",
      stateRoot: copy.stateRoot,
      env: { ...process.env, PULUMI_NODEJS_TRANSPILE_ONLY: "true" },
    });
    expect(report.failure).toBeUndefined();
    expect(report.timeline.map((t) => t.name)).toContain("edge");
    expect(report.outputs.graphqlUrl).toBe("https://api.example.com/v1/graphql");
    expect(report.smokeOutput).toContain("16 passed, 0 failed");
    expect(report.edge?.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(report.edge?.smokeOutput).toContain(`Smoke test of ${report.edge?.url}`);
    expect(report.edge?.smokeOutput).toContain("16 passed, 0 failed (allowed checks used signed dev tokens)");
    expect(report.edge?.metadataStatus).toBe(404);
  });
});
