// A deploy REHEARSAL (stand-ins for the engine, Docker, Hasura and Kinde) of a Kinde-mode stack, its JWKS
// stood in on 127.0.0.1, and of a production stack, which the rehearsal refuses.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { rehearse } from "../../dev/rehearsal/rehearse.js";
import { RehearsalState } from "../../dev/rehearsal/state.js";
import { reveal } from "../../dev/rehearsal/values.js";
import { type ProjectCopy, projectCopy } from "../support/project-copy.js";

// The language host's type-check (which tsc and the dev rehearsal cover) is skipped with Pulumi's own switch.
const env = { ...process.env, PULUMI_NODEJS_TRANSPILE_ONLY: "true" };
const rehearseCopy = (copy: ProjectCopy, stack = "dev") => rehearse({ projectRoot: copy.root, stack, stateRoot: copy.stateRoot, env });

describe("the rehearsal of a Kinde-mode stack (Kinde's JWKS stood in on 127.0.0.1)", () => {
  it("trusts the JWKS through jwk_url and passes the smoke gate with a Kinde-shaped user token", { timeout: 60_000 }, async () => {
    const copy = projectCopy("rehearse-kinde");
    const report = await rehearseCopy(copy, "staging");
    expect(report.failure).toBeUndefined();
    expect(report.outputs.authMode).toBe("kinde");
    expect(report.outputs.jwtIssuer).toBe("https://acme-staging.kinde.com");
    expect(report.smokeOutput).toContain("Allowed checks use a real Kinde token.");
    expect(report.smokeOutput).toMatch(/25 passed, 0 failed \(allowed checks used a real Kinde token\)/);
    expect(report.notes.join("\n")).toMatch(/fetched the JWKS 1 time\(s\); its answer carries no Cache-Control\/Expires/);
    // The stand-in Kinde's private key is kept encrypted, like every other secret of the state.
    const stored = new RehearsalState(copy.stateRoot, "staging").standIn<unknown>("kinde-keys");
    const d = (reveal(stored).plain as { privateJwk: { d: string } }).privateJwk.d;
    expect(d).toMatch(/^[\w-]{100,}$/);
    expect(readFileSync(join(copy.stateRoot, "staging", "state.json"), "utf8")).not.toContain(d);
  });

  it("refuses to rehearse a production stack, naming why and what to rehearse instead", async () => {
    const copy = projectCopy("rehearse-prod");
    await expect(rehearseCopy(copy, "prod")).rejects.toThrow(
      "Stack prod is a production stack: the rehearsal serves Kinde's JWKS over http on 127.0.0.1, which production refuses. Rehearse a non-production stack such as staging.",
    );
  });
});
