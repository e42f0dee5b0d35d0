// Credentials as resources, under Pulumi's mocks: a stack that sets none (a fresh clone, `pulumi stack
// init dev && pulumi up`) gets generated ones (@pulumi/random RandomPassword, @pulumi/tls PrivateKey),
// every generated value travels as a secret, and a configured value always wins (an existing stack
// keeps its passwords on its next up).
import { createPublicKey } from "node:crypto";
import { describe, expect, it } from "vitest";
import { devConfig, prodKindeConfig, rsaKeyPair, SECRET_KEYS } from "../support/fixtures.js";
import { containerEnv, isSecretValue, type ProgramRun, runProgram, unwrapSecret } from "../support/pulumi-program.js";

const RANDOM = "random:index/randomPassword:RandomPassword";
const KEY = "tls:index/privateKey:PrivateKey";
const CONTAINER = "docker:index/container:Container";
const COMMAND = "command:local:Command";

/** Pulumi.dev.yaml's plain settings and nothing else: what a fresh clone has. */
const freshDev = { hasuraPort: "8080", postgresPort: "15432", hasuraConsole: "true", hasuraDevMode: "true" };

const generated = (run: ProgramRun) =>
  run.resources
    .filter((r) => r.type === RANDOM || r.type === KEY)
    .map((r) => `${r.type.split(":").pop()} ${r.name}`)
    .sort();

describe("credentials of a stack that sets none (a fresh clone)", () => {
  it("generates three passwords and a 2048-bit RSA dev signing key, as children of one component", async () => {
    const run = await runProgram("dev", freshDev);
    expect(generated(run)).toEqual([
      "PrivateKey credentials-dev-signing-key",
      "RandomPassword credentials-admin-secret",
      "RandomPassword credentials-hasura-db-password",
      "RandomPassword credentials-postgres-password",
    ]);
    const password = run.get(RANDOM, "credentials-admin-secret");
    expect(password.inputs).toMatchObject({
      length: 40,
      special: true,
      overrideSpecial: "-_.~",
      minLower: 2,
      minUpper: 2,
      minNumeric: 2,
      minSpecial: 1,
    });
    expect(password.parent).toBe(run.get("kinde-hasura:index:Credentials", "credentials").urn);
    expect(run.get(KEY, "credentials-dev-signing-key").inputs).toMatchObject({ algorithm: "RSA", rsaBits: 2048 });
  });

  it("hands the generated values to Postgres, Hasura and the steps only as secrets", async () => {
    const run = await runProgram("dev", freshDev);
    const pg = containerEnv(run.get(CONTAINER, "postgres"));
    const hasura = containerEnv(run.get(CONTAINER, "hasura"));
    expect(pg.POSTGRES_PASSWORD).toMatch(/^generated-/);
    expect(hasura.HASURA_GRAPHQL_ADMIN_SECRET).toMatch(/^generated-/);
    expect(hasura.PG_DATABASE_URL).toContain(
      encodeURIComponent(unwrapSecret(run.get("postgresql:index/role:Role", "database-role").inputs.password) as string),
    );
    for (const step of ["migrations-run", "metadata-run", "smoke-run"])
      expect(isSecretValue(run.get(COMMAND, step).inputs.environment), step).toBe(true);
    expect(run.secretOutputs.sort()).toEqual(["devSigningKey", "hasuraAdminSecret", "postgresSuperuserPassword"]);
    expect(run.outputs.hasuraAdminSecret).toBe(hasura.HASURA_GRAPHQL_ADMIN_SECRET);
    // What `npm run backup -- --stack` connects with is the password Postgres was started with.
    expect(run.outputs.postgresSuperuserPassword).toBe(pg.POSTGRES_PASSWORD);
  });

  it("makes Hasura trust the generated key's public half, and gives the smoke gate its private half", async () => {
    const run = await runProgram("dev", freshDev);
    const jwt = JSON.parse(containerEnv(run.get(CONTAINER, "hasura")).HASURA_GRAPHQL_JWT_SECRET as string) as { type: string; key: string };
    const smoke = unwrapSecret(run.get(COMMAND, "smoke-run").inputs.environment) as Record<string, string>;
    expect(smoke.DEV_SIGNING_KEY).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(jwt.type).toBe("RS256");
    expect(createPublicKey(smoke.DEV_SIGNING_KEY as string).export({ type: "spki", format: "pem" })).toBe(jwt.key);
    expect(run.outputs.devSigningKey).toBe(smoke.DEV_SIGNING_KEY);
  });

  it("gives a production stack generated passwords but never a dev signing key", async () => {
    const { hasuraAdminSecret, postgresPassword, hasuraDbPassword, ...prod } = prodKindeConfig();
    void [hasuraAdminSecret, postgresPassword, hasuraDbPassword];
    const run = await runProgram("prod", prod);
    expect(generated(run)).toEqual([
      "RandomPassword credentials-admin-secret",
      "RandomPassword credentials-hasura-db-password",
      "RandomPassword credentials-postgres-password",
    ]);
    expect(run.secretOutputs.sort()).toEqual(["hasuraAdminSecret", "postgresSuperuserPassword"]);
    expect(run.outputs.devSigningKey).toBeUndefined();
  });
});

describe("credentials a stack's config already holds", () => {
  it("keeps every configured value, so an existing stack's passwords do not change", async () => {
    const config = devConfig(rsaKeyPair().privateKeyPem);
    const run = await runProgram("dev", config, SECRET_KEYS);
    expect(generated(run)).toEqual([]);
    expect(containerEnv(run.get(CONTAINER, "postgres")).POSTGRES_PASSWORD).toBe(config.postgresPassword);
    expect(unwrapSecret(run.get("postgresql:index/role:Role", "database-role").inputs.password)).toBe(config.hasuraDbPassword);
  });

  it("refuses a credential set without --secret (it would sit in plain text in the stack file), before any resource", async () => {
    const attempt = runProgram("dev", { ...freshDev, hasuraAdminSecret: "set-in-plain-text-0123456789abcdef" }, []);
    await expect(attempt).rejects.toThrow("kinde-hasura:hasuraAdminSecret is stored in plain text in Pulumi.dev.yaml");
    await expect(attempt).rejects.toMatchObject({ registered: 0 });
  });

  it("generates only what is missing", async () => {
    const run = await runProgram("dev", { ...freshDev, postgresPassword: "configured-postgres-password" }, ["postgresPassword"]);
    expect(generated(run)).toEqual([
      "PrivateKey credentials-dev-signing-key",
      "RandomPassword credentials-admin-secret",
      "RandomPassword credentials-hasura-db-password",
    ]);
    expect(containerEnv(run.get(CONTAINER, "postgres")).POSTGRES_PASSWORD).toBe("configured-postgres-password");
  });
});
