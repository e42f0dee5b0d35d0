// A production stack trusting Kinde, under Pulumi's mocks.
import { beforeAll, describe, expect, it } from "vitest";
import { prodKindeConfig, SECRET_KEYS } from "./support/fixtures.js";
import { containerEnv, plainStrings, runProgram, type ProgramRun } from "./support/pulumi-program.js";

const CONTAINER = "docker:index/container:Container";
let run: ProgramRun;

beforeAll(async () => {
  run = await runProgram("prod", prodKindeConfig(), SECRET_KEYS);
});

describe("production Kinde stack", () => {
  it("protects the data volume from destroy and keeps it if the stack lets go of it", () => {
    const volume = run.get("docker:index/volume:Volume", "postgres-data");
    expect(volume.protect).toBe(true);
    expect(volume.retainOnDelete).toBe(true);
    expect(volume.inputs.name).toBe("kinde-hasura-prod-pgdata");
  });

  it("points Hasura at Kinde's JWKS with the Kinde issuer and the hasura audience", () => {
    const env = containerEnv(run.get(CONTAINER, "hasura"));
    expect(env.HASURA_GRAPHQL_JWT_SECRET).toBe(
      '{"jwk_url":"https://acme.kinde.com/.well-known/jwks","issuer":"https://acme.kinde.com","audience":"hasura","allowed_skew":30,' +
        '"claims_namespace":"https://hasura.io/jwt/claims"}',
    );
  });

  it("serves no console, no dev mode, only the GraphQL and metadata APIs, for its own origins", () => {
    const env = containerEnv(run.get(CONTAINER, "hasura"));
    expect(env).toMatchObject({
      HASURA_GRAPHQL_ENABLE_CONSOLE: "false",
      HASURA_GRAPHQL_DEV_MODE: "false",
      HASURA_GRAPHQL_ENABLED_APIS: "metadata,graphql",
      HASURA_GRAPHQL_CORS_DOMAIN: "https://app.acme.com",
      HASURA_GRAPHQL_ENABLE_TELEMETRY: "false",
    });
    expect(Object.keys(env)).not.toContain("HASURA_GRAPHQL_UNAUTHORIZED_ROLE");
  });

  it("gives Hasura no CREATE on public: tables come from migrations only", () => {
    expect(run.get("postgresql:index/grant:Grant", "database-public-schema").inputs.privileges).toEqual(["USAGE"]);
  });

  it("does not run the smoke test on up unless asked (smokeOnUp)", () => {
    expect(run.resources.filter((r) => r.name.startsWith("smoke"))).toEqual([]);
  });

  it("sends no secret value in plain text in any resource input or output", () => {
    const config = prodKindeConfig();
    const secrets = [config.hasuraAdminSecret, config.postgresPassword, config.hasuraDbPassword] as string[];
    for (const r of run.resources) {
      for (const s of plainStrings(r.inputs)) for (const secret of secrets) expect(s, `${r.type} ${r.name}`).not.toContain(secret);
    }
    // The admin secret is exported only as a secret output (pulumi stack output --show-secrets).
    expect(run.secretOutputs).toEqual(["hasuraAdminSecret"]);
    const { hasuraAdminSecret, ...plain } = run.outputs;
    expect(hasuraAdminSecret).toBe(config.hasuraAdminSecret);
    for (const secret of secrets) expect(JSON.stringify(plain)).not.toContain(secret);
  });

  it("exports the Kinde issuer and no console URL", () => {
    expect(run.outputs.jwtIssuer).toBe("https://acme.kinde.com");
    expect(run.outputs.authMode).toBe("kinde");
    expect(run.outputs.consoleUrl).toBeUndefined();
    expect(run.outputs.hasuraUrl).toBe("http://127.0.0.1:8443");
  });
});
