// A production stack trusting Kinde, under Pulumi's mocks.
import { beforeAll, describe, expect, it } from "vitest";
import { prodKindeConfig, SECRET_KEYS } from "../support/fixtures.js";
import { containerEnv, type ProgramRun, plainStrings, runProgram } from "../support/pulumi-program.js";

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
    // The admin secret and the superuser password are exported only as secret outputs (pulumi stack output --show-secrets).
    expect(run.secretOutputs.sort()).toEqual(["hasuraAdminSecret", "postgresSuperuserPassword"]);
    const { hasuraAdminSecret, postgresSuperuserPassword, ...plain } = run.outputs;
    expect(hasuraAdminSecret).toBe(config.hasuraAdminSecret);
    expect(postgresSuperuserPassword).toBe(config.postgresPassword);
    for (const secret of secrets) expect(JSON.stringify(plain)).not.toContain(secret);
  });

  it("exports the Kinde issuer and no console URL", () => {
    expect(run.outputs.jwtIssuer).toBe("https://acme.kinde.com");
    expect(run.outputs.authMode).toBe("kinde");
    expect(run.outputs.consoleUrl).toBeUndefined();
    expect(run.outputs.hasuraUrl).toBe("http://127.0.0.1:8443");
  });
});

describe("the production TLS edge", () => {
  it("is the only container published beyond loopback, with a generated Caddyfile and a protected certificate volume", async () => {
    const { runProgram } = await import("../support/pulumi-program.js");
    const { prodKindeConfig, SECRET_KEYS } = await import("../support/fixtures.js");
    const prod = await runProgram("prod", prodKindeConfig(), SECRET_KEYS);
    const containers = prod.resources.filter((r) => r.type === "docker:index/container:Container");
    const public_ = containers.filter((c) => ((c.inputs.ports ?? []) as Array<{ ip?: string }>).some((p) => p.ip !== "127.0.0.1"));
    expect(public_.map((c) => c.name)).toEqual(["edge"]);
    const edge = prod.get("docker:index/container:Container", "edge");
    expect(edge.inputs.ports).toEqual([
      { internal: 80, external: 80, ip: "0.0.0.0" },
      { internal: 443, external: 443, ip: "0.0.0.0" },
    ]);
    const uploads = edge.inputs.uploads as Array<{ file: string; content: string }>;
    expect(uploads[0]?.file).toBe("/etc/caddy/Caddyfile");
    expect(uploads[0]?.content).toContain("api.acme.com {");
    expect(uploads[0]?.content).toContain("reverse_proxy kinde-hasura-prod-hasura:8080");
    expect(prod.get("docker:index/volume:Volume", "edge-data")).toMatchObject({ protect: true, retainOnDelete: true });
    expect(prod.get("docker:index/remoteImage:RemoteImage", "edge-image").inputs.name).toBe("caddy:2.11.3");
    expect(prod.outputs.graphqlUrl).toBe("https://api.acme.com/v1/graphql");
  });

  it("is required on production unless the stack names what serves it instead", async () => {
    const { parseStackSettings, ConfigError } = await import("../../core/settings/stack-settings.js");
    const { prodKindeConfig } = await import("../support/fixtures.js");
    const { publicHost, acmeEmail, ...withoutEdge } = prodKindeConfig();
    void [publicHost, acmeEmail];
    const parse = (c: Record<string, string>) => () => parseStackSettings((k) => c[k], { project: "kinde-hasura", stack: "prod" });
    expect(parse(withoutEdge)).toThrow(ConfigError);
    expect(parse(withoutEdge)).toThrow("kinde-hasura:publicHost is required on a production stack (production: true)");
    expect(parse({ ...withoutEdge, externalEdge: "nginx on the host" })()).toMatchObject({ production: true });
    expect(parse({ ...prodKindeConfig(), acmeEmail: "not-an-email" })).toThrow(
      "kinde-hasura:acmeEmail must be an email address for Let's Encrypt's expiry notices such as ops@example.com; got \"not-an-email\"",
    );
  });
});
