// The dev stack under Pulumi's mocks: local signing mode, console on, fixed ports.
import { createHash } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { hashDirectory } from "../../core/content-hash.js";
import { hasuraJwtSecret } from "../../core/jwt-policy.js";
import { devConfig, rsaKeyPair, SECRET_KEYS } from "../support/fixtures.js";
import { containerEnv, isSecretValue, type ProgramRun, plainStrings, runProgram, unwrapSecret } from "../support/pulumi-program.js";

const CONTAINER = "docker:index/container:Container";
const { privateKeyPem, publicKeyPem } = rsaKeyPair();
const config = devConfig(privateKeyPem);
let run: ProgramRun;

beforeAll(async () => {
  run = await runProgram("dev", config, SECRET_KEYS);
});

describe("dev stack", () => {
  it("creates exactly the network, Postgres, the Hasura role and grants, and Hasura", () => {
    expect(run.resources.map((r) => `${r.type} ${r.name}`).sort()).toEqual(
      [
        "kinde-hasura:index:Credentials credentials",
        "kinde-hasura:index:StackNetwork network",
        "docker:index/network:Network network-bridge",
        "kinde-hasura:index:Postgres postgres",
        "docker:index/remoteImage:RemoteImage postgres-image",
        "docker:index/volume:Volume postgres-data",
        `${CONTAINER} postgres`,
        "kinde-hasura:index:HasuraDatabase database",
        "pulumi:providers:postgresql database-admin",
        "postgresql:index/role:Role database-role",
        "postgresql:index/schema:Schema database-catalog",
        "postgresql:index/extension:Extension database-pgcrypto",
        "postgresql:index/grant:Grant database-connect",
        "postgresql:index/grant:Grant database-public-schema",
        "kinde-hasura:index:ScriptStep migrations",
        "command:local:Command migrations-run",
        "kinde-hasura:index:ScriptStep seeds",
        "command:local:Command seeds-run",
        "kinde-hasura:index:ScriptStep migrations-sync",
        "command:local:Command migrations-sync-run",
        "kinde-hasura:index:ScriptStep metadata",
        "command:local:Command metadata-run",
        "kinde-hasura:index:ScriptStep smoke",
        "command:local:Command smoke-run",
        "kinde-hasura:index:Hasura hasura",
        "docker:index/remoteImage:RemoteImage hasura-image",
        `${CONTAINER} hasura`,
      ].sort(),
    );
  });

  it("names every Docker object after project and stack", () => {
    expect(run.get("docker:index/network:Network", "network-bridge").inputs.name).toBe("kinde-hasura-dev-net");
    expect(run.get("docker:index/volume:Volume", "postgres-data").inputs.name).toBe("kinde-hasura-dev-pgdata");
    expect(run.get(CONTAINER, "postgres").inputs.name).toBe("kinde-hasura-dev-postgres");
    expect(run.get(CONTAINER, "hasura").inputs.name).toBe("kinde-hasura-dev-hasura");
    for (const name of ["postgres", "hasura"]) {
      expect(run.get(CONTAINER, name).inputs.networksAdvanced).toEqual([{ name: "kinde-hasura-dev-net" }]);
    }
  });

  it("never publishes Postgres or Hasura beyond 127.0.0.1", () => {
    expect(run.get(CONTAINER, "postgres").inputs.ports).toEqual([{ internal: 5432, external: 15432, ip: "127.0.0.1" }]);
    expect(run.get(CONTAINER, "hasura").inputs.ports).toEqual([{ internal: 8080, external: 8080, ip: "127.0.0.1" }]);
  });

  it("runs pinned images by image id and keeps them for other stacks on the daemon", () => {
    const images = run.resources.filter((r) => r.type === "docker:index/remoteImage:RemoteImage");
    expect(images.map((i) => i.inputs)).toEqual([
      { name: "postgres:17.6", keepLocally: true },
      { name: "hasura/graphql-engine:v2.48.16", keepLocally: true },
    ]);
    // The mock's id is a hash of the image name: each container runs its own image's id.
    const idOf = (image: string) => `sha256:${createHash("sha256").update(image).digest("hex")}`;
    expect(run.get(CONTAINER, "postgres").inputs.image).toBe(idOf("postgres:17.6"));
    expect(run.get(CONTAINER, "hasura").inputs.image).toBe(idOf("hasura/graphql-engine:v2.48.16"));
  });

  it("keeps Postgres data on the named volume, health-checked over TCP, replaced delete-first", () => {
    const pg = run.get(CONTAINER, "postgres");
    expect(pg.inputs.volumes).toEqual([{ volumeName: "kinde-hasura-dev-pgdata", containerPath: "/var/lib/postgresql/data" }]);
    expect(pg.inputs.healthcheck).toMatchObject({ tests: ["CMD-SHELL", "pg_isready -h 127.0.0.1 -U postgres -d app"] });
    expect(pg.inputs.wait).toBe(true);
    expect(pg.deleteBeforeReplace).toBe(true);
    expect(pg.replaceOnChanges).toEqual(["healthcheck"]);
    const volume = run.get("docker:index/volume:Volume", "postgres-data");
    expect([volume.protect, volume.retainOnDelete]).toEqual([false, false]);
  });

  it("passes the Postgres superuser password only as a secret", () => {
    const pg = run.get(CONTAINER, "postgres");
    expect(isSecretValue(pg.inputs.envs)).toBe(true);
    expect(containerEnv(pg)).toEqual({ POSTGRES_PASSWORD: config.postgresPassword, POSTGRES_USER: "postgres", POSTGRES_DB: "app" });
  });

  it("creates a least-privilege hasura login role through a provider that waits for healthy Postgres", () => {
    const provider = run.get("pulumi:providers:postgresql", "database-admin");
    expect(provider.inputs).toMatchObject({ host: "127.0.0.1", port: "15432", username: "postgres", sslmode: "disable", database: "app" });
    expect(unwrapSecret(provider.inputs.password)).toBe(config.postgresPassword);
    expect(provider.dependsOn).toContain(run.get(CONTAINER, "postgres").urn);

    const role = run.get("postgresql:index/role:Role", "database-role");
    expect(role.inputs).toMatchObject({ name: "hasura", login: true, superuser: false, createDatabase: false, createRole: false });
    expect(unwrapSecret(role.inputs.password)).toBe(config.hasuraDbPassword);
    expect(role.provider.startsWith(`${provider.urn}::`), role.provider).toBe(true);

    expect(run.get("postgresql:index/schema:Schema", "database-catalog").inputs).toEqual({
      name: "hdb_catalog",
      database: "app",
      owner: "hasura",
    });
    expect(run.get("postgresql:index/grant:Grant", "database-connect").inputs).toEqual({
      database: "app",
      role: "hasura",
      objectType: "database",
      privileges: ["CONNECT"],
    });
  });

  it("lets a dev stack's console create tables in public (CREATE on the schema)", () => {
    expect(run.get("postgresql:index/grant:Grant", "database-public-schema").inputs.privileges).toEqual(["USAGE", "CREATE"]);
  });

  it("gives Hasura the role's URL, the admin secret, a JWT secret for the dev key and hardening env", () => {
    const hasura = run.get(CONTAINER, "hasura");
    expect(isSecretValue(hasura.inputs.envs)).toBe(true);
    const env = containerEnv(hasura);
    const password = encodeURIComponent(config.hasuraDbPassword as string);
    expect(env).toEqual({
      HASURA_GRAPHQL_METADATA_DATABASE_URL: `postgres://hasura:${password}@kinde-hasura-dev-postgres:5432/app`,
      PG_DATABASE_URL: `postgres://hasura:${password}@kinde-hasura-dev-postgres:5432/app`,
      HASURA_GRAPHQL_ADMIN_SECRET: config.hasuraAdminSecret,
      HASURA_GRAPHQL_JWT_SECRET: JSON.stringify({
        type: "RS256",
        key: publicKeyPem,
        issuer: "https://local-signer.invalid/kinde-hasura/dev",
        audience: "hasura",
        allowed_skew: 30,
        claims_namespace: "https://hasura.io/jwt/claims",
      }),
      HASURA_GRAPHQL_ENABLE_TELEMETRY: "false",
      HASURA_GRAPHQL_ENABLE_CONSOLE: "true",
      HASURA_GRAPHQL_DEV_MODE: "true",
      HASURA_GRAPHQL_ENABLED_APIS: "metadata,graphql,pgdump,config",
      HASURA_GRAPHQL_CORS_DOMAIN: "http://localhost:3000,http://127.0.0.1:3000",
      HASURA_GRAPHQL_SERVER_PORT: "8080",
    });
    expect(JSON.parse(env.HASURA_GRAPHQL_JWT_SECRET as string)).toEqual(
      hasuraJwtSecret({
        issuer: "https://local-signer.invalid/kinde-hasura/dev",
        audience: "hasura",
        claims: "namespace",
        allowedSkew: 30,
        trust: { kind: "local", publicKeyPem },
      }),
    );
    expect(hasura.inputs.healthcheck).toMatchObject({ tests: ["CMD-SHELL", "curl -fsS http://127.0.0.1:8080/healthz || exit 1"] });
    expect(hasura.inputs.wait).toBe(true);
    expect(hasura.deleteBeforeReplace).toBe(true);
  });

  it("starts Hasura only after healthy Postgres and every piece of its role", () => {
    const hasura = run.get(CONTAINER, "hasura");
    const waitsFor = (type: string, name: string) => expect(hasura.dependsOn, name).toContain(run.get(type, name).urn);
    waitsFor(CONTAINER, "postgres");
    waitsFor("postgresql:index/role:Role", "database-role");
    waitsFor("postgresql:index/schema:Schema", "database-catalog");
    waitsFor("postgresql:index/extension:Extension", "database-pgcrypto");
    waitsFor("postgresql:index/grant:Grant", "database-connect");
    waitsFor("postgresql:index/grant:Grant", "database-public-schema");
  });

  it("runs the migrations as a local command that sees the database URL only through its environment", () => {
    const migrate = run.get("command:local:Command", "migrations-run");
    expect(migrate.inputs.create).toBe("node --import tsx scripts/migrate.ts up");
    expect(migrate.inputs.update).toBe(migrate.inputs.create);
    const env = unwrapSecret(migrate.inputs.environment) as Record<string, unknown>;
    const password = encodeURIComponent(config.postgresPassword as string);
    expect(env.DATABASE_URL).toBe(`postgres://postgres:${password}@127.0.0.1:15432/app`);
    expect(migrate.inputs.logging).toBe("none");
    expect(migrate.additionalSecretOutputs.sort()).toEqual(["stderr", "stdout"]);
    // Re-run when a migration changes, and when Postgres is replaced (its volume may be new).
    expect(migrate.inputs.triggers).toEqual([hashDirectory("migrations"), "postgres-id"]);
  });

  it("applies the metadata with the admin secret only in the environment, after Hasura and the migrations", () => {
    const apply = run.get("command:local:Command", "metadata-run");
    expect(apply.inputs.create).toBe("node --import tsx scripts/metadata.ts apply");
    expect(unwrapSecret(apply.inputs.environment)).toEqual({
      HASURA_GRAPHQL_ENDPOINT: "http://127.0.0.1:8080",
      HASURA_GRAPHQL_ADMIN_SECRET: config.hasuraAdminSecret,
    });
    expect(apply.inputs.create).not.toContain(config.hasuraAdminSecret as string);
    expect(apply.inputs.logging).toBe("none");
    expect(apply.additionalSecretOutputs.sort()).toEqual(["stderr", "stdout"]);
    expect(apply.inputs.triggers).toEqual([hashDirectory("metadata"), "hasura-id"]);
    expect(apply.dependsOn).toContain(run.get(CONTAINER, "hasura").urn);
    expect(apply.dependsOn).toContain(run.get("command:local:Command", "migrations-run").urn);
  });

  it("migrates after the hasura role exists, and starts Hasura beside the migrations, not after them", () => {
    const migrate = run.get("command:local:Command", "migrations-run");
    expect(migrate.dependsOn).toContain(run.get("postgresql:index/role:Role", "database-role").urn);
    expect(migrate.dependsOn).toContain(run.get("postgresql:index/grant:Grant", "database-public-schema").urn);
    const hasura = run.get(CONTAINER, "hasura");
    expect(hasura.dependsOn).toContain(run.get("postgresql:index/schema:Schema", "database-catalog").urn);
    expect(hasura.dependsOn).not.toContain(migrate.urn);
  });

  it("gates the deploy on the smoke test, with the dev key and policy only in its environment", () => {
    const smoke = run.get("command:local:Command", "smoke-run");
    expect(smoke.inputs.create).toBe("node --import tsx scripts/smoke.ts --timeout 120");
    expect(unwrapSecret(smoke.inputs.environment)).toEqual({
      HASURA_GRAPHQL_ENDPOINT: "http://127.0.0.1:8080",
      HASURA_GRAPHQL_ADMIN_SECRET: config.hasuraAdminSecret,
      SMOKE_JWT_POLICY: '{"issuer":"https://local-signer.invalid/kinde-hasura/dev","audience":"hasura","claims":"namespace","mode":"local"}',
      DEV_SIGNING_KEY: config.devSigningKey,
      // Cleared: a stray KINDE_DOMAIN in the deployer's environment, which the step inherits, would be
      // refused as the former name of KINDE_MANAGEMENT_DOMAIN (core/steps.ts formerNamesCleared).
      KINDE_DOMAIN: "",
    });
    expect(smoke.inputs.triggers).toEqual([hashDirectory("migrations"), hashDirectory("metadata"), "hasura-id", "postgres-id"]);
    expect(smoke.dependsOn).toContain(run.get("command:local:Command", "metadata-run").urn);
    expect(smoke.additionalSecretOutputs.sort()).toEqual(["stderr", "stdout"]);
  });

  it("exports URLs, issuer and port, and credentials only as secret outputs", () => {
    expect(run.outputs).toMatchObject({
      hasuraUrl: "http://127.0.0.1:8080",
      graphqlUrl: "http://127.0.0.1:8080/v1/graphql",
      consoleUrl: "http://127.0.0.1:8080/console",
      jwtIssuer: "https://local-signer.invalid/kinde-hasura/dev",
      jwtAudience: "hasura",
      authMode: "local",
      postgresPort: 15432,
    });
    // The configured values win over generated ones, and come back only as secret outputs.
    expect(run.outputs.hasuraAdminSecret).toBe(config.hasuraAdminSecret);
    expect(run.outputs.devSigningKey).toBe(config.devSigningKey);
    expect(run.outputs.postgresSuperuserPassword).toBe(config.postgresPassword);
    expect(run.secretOutputs.sort()).toEqual(["devSigningKey", "hasuraAdminSecret", "postgresSuperuserPassword"]);
    const { hasuraAdminSecret, devSigningKey, postgresSuperuserPassword, ...plain } = run.outputs;
    void [hasuraAdminSecret, devSigningKey, postgresSuperuserPassword];
    for (const key of SECRET_KEYS) expect(JSON.stringify(plain)).not.toContain(config[key]);
  });

  it("sends no secret value in plain text in any resource input", () => {
    const secrets = SECRET_KEYS.map((k) => config[k] as string).concat(encodeURIComponent(config.postgresPassword as string));
    for (const r of run.resources) {
      for (const s of plainStrings(r.inputs)) {
        for (const secret of secrets) expect(s, `${r.type} ${r.name}`).not.toContain(secret);
      }
    }
  });
});
