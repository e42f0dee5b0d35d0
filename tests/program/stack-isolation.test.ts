// Preview stacks on one daemon: own names, free ports, and refusals before any resource exists.
import { describe, expect, it } from "vitest";
import { postgresDataPath } from "../../infra/docker/postgres.js";
import { devConfig, prodKindeConfig, rsaKeyPair, SECRET_KEYS } from "../support/fixtures.js";
import { runProgram } from "../support/pulumi-program.js";

const CONTAINER = "docker:index/container:Container";
const key = rsaKeyPair().privateKeyPem;

/** The names Docker sees (containers, volume, network). */
function dockerNames(resources: { type: string; inputs: Record<string, unknown> }[]): string[] {
  return resources.filter((r) => r.type.startsWith("docker:") && !r.type.includes("remoteImage")).map((r) => String(r.inputs.name));
}

describe("stack isolation", () => {
  it("lets Docker pick free loopback ports for a preview stack and shares no name with dev", async () => {
    const { hasuraPort: _h, postgresPort: _p, ...noPorts } = devConfig(key);
    const preview = await runProgram("pr-42", noPorts, SECRET_KEYS);
    expect(preview.get(CONTAINER, "postgres").inputs.ports).toEqual([{ internal: 5432, ip: "127.0.0.1" }]);
    expect(preview.get(CONTAINER, "hasura").inputs.ports).toEqual([{ internal: 8080, ip: "127.0.0.1" }]);
    const previewNames = dockerNames(preview.resources);
    expect(previewNames.sort()).toEqual([
      "kinde-hasura-pr-42-hasura",
      "kinde-hasura-pr-42-net",
      "kinde-hasura-pr-42-pgdata",
      "kinde-hasura-pr-42-postgres",
    ]);

    const dev = await runProgram("dev", devConfig(key), SECRET_KEYS);
    const devNames = dockerNames(dev.resources);
    expect(devNames).toHaveLength(4);
    expect(devNames.filter((n) => previewNames.includes(n))).toEqual([]);
  });

  it("refuses an unsafe production config before creating any resource", async () => {
    const attempt = runProgram("prod", { ...prodKindeConfig(), hasuraConsole: "true" }, SECRET_KEYS);
    await expect(attempt).rejects.toThrow(
      'Stack "prod" has invalid configuration:\n  - kinde-hasura:hasuraConsole must be false on a production stack (production: true); got "true"',
    );
    await expect(attempt).rejects.toMatchObject({ registered: 0 });
  });
});

describe("where Postgres keeps its data on the named volume", () => {
  it("follows the image's major version from the parsed tag, never a registry port", () => {
    // 18+ images moved PGDATA under /var/lib/postgresql (docker-library/docs#2582); a wrong path
    // leaves the data in an anonymous volume that a replaced container loses.
    expect(postgresDataPath("postgres:17.6")).toBe("/var/lib/postgresql/data");
    expect(postgresDataPath("registry.local:5000/postgres:17.6")).toBe("/var/lib/postgresql/data");
    expect(postgresDataPath(`registry.local:18000/postgres:17.6@sha256:${"a".repeat(64)}`)).toBe("/var/lib/postgresql/data");
    expect(postgresDataPath("postgres:18.1")).toBe("/var/lib/postgresql");
    expect(postgresDataPath("registry.local:5000/library/postgres:18.1-bookworm")).toBe("/var/lib/postgresql");
  });
});
