// A non-production Kinde stack with Kinde automation configured, under Pulumi's mocks.
import { beforeAll, describe, expect, it } from "vitest";
import { prodKindeConfig, SECRET_KEYS } from "../support/fixtures.js";
import { type ProgramRun, runProgram, unwrapSecret } from "../support/pulumi-program.js";

const COMMAND = "command:local:Command";
const config = {
  ...prodKindeConfig(),
  production: "false",
  kindeManagementClientId: "mgmt_client",
  kindeManagementClientSecret: "mgmt-secret-value",
  kindeAppClientId: "spa_client",
  kindeSmokeClientId: "m2m_smoke",
  kindeSmokeClientSecret: "smoke-secret-value",
};
let run: ProgramRun;

beforeAll(async () => {
  run = await runProgram("staging", config, [...SECRET_KEYS, "kindeManagementClientSecret", "kindeSmokeClientSecret"]);
});

describe("Kinde automation in pulumi up", () => {
  it("runs kinde ensure with the management secret only in its environment", () => {
    const ensure = run.get(COMMAND, "kinde-run");
    expect(ensure.inputs.create).toBe("node --import tsx scripts/kinde.ts ensure");
    expect(unwrapSecret(ensure.inputs.environment)).toEqual({
      KINDE_MANAGEMENT_DOMAIN: "acme.kinde.com",
      KINDE_MANAGEMENT_CLIENT_ID: "mgmt_client",
      KINDE_MANAGEMENT_CLIENT_SECRET: "mgmt-secret-value",
      KINDE_AUDIENCE: "hasura",
      KINDE_APP_CLIENT_ID: "spa_client",
      KINDE_SMOKE_CLIENT_ID: "m2m_smoke",
      // No KINDE_APP_URL: webAppUrl is unset, and a Kinde stack gets no default callback URL.
      KINDE_DOMAIN: "",
    });
    // As before webAppUrl existed: a stack that sets neither webAppUrl nor kindeAccessTokenLifetime does not re-run ensure.
    expect(ensure.inputs.triggers).toEqual(["acme.kinde.com", "hasura", "spa_client", "m2m_smoke"]);
    expect(JSON.stringify(ensure.inputs.create)).not.toContain("mgmt-secret-value");
  });

  it("gives the smoke test the M2M credentials for a real Kinde token, after kinde ensure", () => {
    const smoke = run.get(COMMAND, "smoke-run");
    expect(unwrapSecret(smoke.inputs.environment)).toMatchObject({
      KINDE_MANAGEMENT_DOMAIN: "acme.kinde.com",
      SMOKE_KINDE_CLIENT_ID: "m2m_smoke",
      SMOKE_KINDE_CLIENT_SECRET: "smoke-secret-value",
      SMOKE_JWT_POLICY:
        '{"issuer":"https://acme.kinde.com","audience":"hasura","claims":"namespace","mode":"kinde","jwksUrl":"https://acme.kinde.com/.well-known/jwks"}',
    });
    expect(smoke.dependsOn).toContain(run.get(COMMAND, "kinde-run").urn);
  });

  it("fetches Kinde's JWKS from the deploying machine before Hasura starts (Hasura exits when its first fetch fails)", () => {
    const check = run.get(COMMAND, "jwks-check-run");
    expect(check.inputs.create).toBe("node --import tsx scripts/jwks.ts check");
    // No secret in it, so it travels in plain text.
    expect(check.inputs.environment).toEqual({ JWKS_URL: "https://acme.kinde.com/.well-known/jwks" });
    expect(run.get("docker:index/container:Container", "hasura").dependsOn).toContain(check.urn);
  });

  it("skips kinde ensure when no management credentials are configured", async () => {
    const plain = await runProgram("prod", prodKindeConfig(), SECRET_KEYS);
    expect(plain.resources.filter((r) => r.name.startsWith("kinde"))).toEqual([]);
  });
});
