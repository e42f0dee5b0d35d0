// The smoke test's logic without a live Hasura: response classification on recorded Hasura bodies,
// the health deadline, the path it takes per mode, and cleanup after a failing check — all against
// recorded responses served from 127.0.0.1 (tests/support/recorded-hasura.ts), named as such.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { freePort } from "../../scripts/lib/net/free-port.js";
import { classify } from "../../scripts/lib/net/graphql.js";
import { runSmoke, type SmokeTarget, summarize, waitForHealthy } from "../../scripts/lib/smoke/smoke.js";
import { resolveStack } from "../../scripts/lib/smoke/target.js";
import { signingKeyFromPem, signUserToken } from "../../scripts/lib/smoke/tokens.js";
import { StackReadError } from "../../scripts/lib/stacks/stack-reader.js";
import { rsaKeyPair } from "../support/fixtures.js";
import { RECORDED, type ReceivedRequest, type RecordedAnswer, type RecordedHasura, recordedHasura } from "../support/recorded-hasura.js";

const ADMIN_SECRET = "smoke-admin-secret-0123456789abcdefghij";
const policy = { issuer: "https://local-signer.invalid/kinde-hasura/dev", audience: "hasura", claims: "namespace" as const };
let server: RecordedHasura | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe("classifying recorded Hasura responses", () => {
  it.each([
    ["an expired token", 200, RECORDED.jwtExpired, { kind: "error", code: "invalid-jwt", message: "Could not verify JWT: JWTExpired" }],
    [
      "no Authorization header",
      200,
      RECORDED.missingAuthorization,
      { kind: "error", code: "invalid-headers", message: "Missing 'Authorization' or 'Cookie' header in JWT authentication mode" },
    ],
    [
      "a role not allowed",
      200,
      RECORDED.roleNotAllowed,
      { kind: "error", code: "access-denied", message: "Your requested role is not in allowed roles" },
    ],
    [
      "a field the role cannot see",
      200,
      RECORDED.fieldNotFound,
      { kind: "error", code: "validation-failed", message: "field 'users' not found in type: 'query_root'" },
    ],
    [
      "an admin-secret refusal",
      401,
      RECORDED.accessDenied,
      { kind: "error", code: "access-denied", message: "invalid x-hasura-admin-secret/x-hasura-access-key" },
    ],
    ["data", 200, { data: { users: [{ id: "a" }] } }, { kind: "data", data: { users: [{ id: "a" }] } }],
  ])("reads %s by its code, not the HTTP status", (_name, status, body, expected) => {
    expect(classify(status, JSON.stringify(body))).toEqual(expected);
  });

  it("calls a non-JSON body unreadable", () => {
    expect(classify(502, "<html>Bad gateway</html>")).toEqual({ kind: "unreadable", status: 502, text: "<html>Bad gateway</html>" });
  });
});

describe("waiting for /healthz", () => {
  it("gives up at the deadline naming the URL and what it last saw", async () => {
    const port = await freePort();
    await expect(waitForHealthy(`http://127.0.0.1:${port}`, 1500, () => {})).rejects.toThrow(
      `Hasura at http://127.0.0.1:${port}/healthz did not answer as Hasura does (200 "OK") within 2 s (last: ECONNREFUSED)`,
    );
  });

  it("says so when Hasura becomes healthy (recorded responses)", async () => {
    server = await recordedHasura([
      { status: 500, body: "ERROR" },
      { status: 200, body: "OK" },
    ]);
    const log: string[] = [];
    await waitForHealthy(server.url, 5000, (l) => log.push(l));
    expect(log).toHaveLength(1);
    expect(log[0]).toMatch(new RegExp(`^Hasura at ${server.url}/healthz is healthy \\(OK\\) after \\d+ ms$`));
  });
});

/** Recorded answers keyed by the operation a request carries; `ownRow` decides what reading one's own row returns. */
function recordedByOperation(ownRow: unknown): (req: ReceivedRequest) => RecordedAnswer {
  return (req) => {
    if (req.path === "/healthz") return { status: 200, body: "OK" };
    const { query } = req.body as { query: string };
    const isAdmin = req.headers["x-hasura-admin-secret"] === ADMIN_SECRET && !req.headers["x-hasura-role"];
    if (query.includes("insert_users(")) return { status: 200, body: { data: { insert_users: { affected_rows: 2 } } } };
    if (query.includes("delete_users(")) return { status: 200, body: { data: { delete_users: { affected_rows: 2 } } } };
    if (query.includes("users_by_pk")) return { status: 200, body: { data: { users_by_pk: isAdmin ? { id: "x", name: "smoke other" } : ownRow } } };
    return { status: 200, body: { data: { users: [] } } };
  };
}

function target(url: string, extra: Partial<SmokeTarget> = {}): SmokeTarget {
  return { endpoint: url, adminSecret: ADMIN_SECRET, policy, mode: "kinde", userCanInsert: false, healthTimeoutMs: 5000, log: () => {}, ...extra };
}

describe("a smoke run (recorded Hasura responses)", () => {
  it("removes the seeded users through the admin secret after a failing check", async () => {
    server = await recordedHasura(recordedByOperation(null));
    const report = await runSmoke(target(server.url));
    expect(report.checks.find((c) => c.name === "user reads its own row")?.ok).toBe(false);
    const seed = server.received.find((r) => (r.body as { query?: string })?.query?.includes("insert_users("));
    const seededIds = (seed!.body as { variables: { objects: Array<{ id: string }> } }).variables.objects.map((o) => o.id);
    expect(seededIds).toHaveLength(2);
    const last = server.received.at(-1) as ReceivedRequest;
    expect((last.body as { query: string }).query).toContain("delete_users(");
    expect((last.body as { variables: { ids: string[] } }).variables.ids).toEqual(seededIds);
    expect(last.headers["x-hasura-admin-secret"]).toBe(ADMIN_SECRET);
    const { ok, lines } = summarize(report);
    expect(ok).toBe(false);
    expect(lines.join("\n")).not.toContain(ADMIN_SECRET);
    expect(lines[0]).toMatch(/^\d+ passed, \d+ failed \(allowed checks used the admin secret acting as role user\)$/);
  });

  it("acts as role user through the admin secret in Kinde mode without a real token, and says so", async () => {
    server = await recordedHasura(recordedByOperation(null));
    const log: string[] = [];
    const report = await runSmoke(target(server.url, { log: (l) => log.push(l) }));
    expect(report.path).toBe("the admin secret acting as role user");
    expect(log).toContain("Allowed checks use the admin secret acting as role user.");
    const firstAsUser = server.received.find((r) => r.headers["x-hasura-role"] === "user") as ReceivedRequest;
    expect(firstAsUser.headers["x-hasura-user-id"]).toMatch(/^smoke-[0-9a-f]{8}-a$/);
    // Every token-based denial in Kinde mode is signed by a key Hasura does not know.
    expect(report.checks.map((c) => c.name)).toContain("untrusted token asking for X-Hasura-Role: admin");
  });

  it("uses a real Kinde token's user for the allowed checks when one is given", async () => {
    server = await recordedHasura(recordedByOperation(null));
    const kindeLike = await signUserToken(policy, await signingKeyFromPem(rsaKeyPair().privateKeyPem), "kp_real_user");
    const report = await runSmoke(target(server.url, { realToken: kindeLike }));
    expect(report.path).toBe("a real Kinde token");
    const asUser = server.received.filter((r) => r.headers.authorization === `Bearer ${kindeLike}`);
    expect(asUser.length).toBeGreaterThan(0);
    expect((asUser[0]!.body as { variables: { id: string } }).variables.id).toBe("kp_real_user");
    expect(summarize(report).lines.join("\n")).not.toContain(kindeLike);
  });
});

describe("npm run smoke", () => {
  it("fails with the unreachable URL within its --timeout", { timeout: 60_000 }, async () => {
    const port = await freePort();
    const result = await promisify(execFile)(process.execPath, ["--import", "tsx", "scripts/smoke.ts", "--timeout", "2"], {
      env: {
        ...process.env,
        HASURA_GRAPHQL_ENDPOINT: `http://127.0.0.1:${port}`,
        HASURA_GRAPHQL_ADMIN_SECRET: ADMIN_SECRET,
        SMOKE_JWT_POLICY: JSON.stringify({ ...policy, mode: "local" }),
        DEV_SIGNING_KEY: rsaKeyPair().privateKeyPem,
      },
    }).then(
      () => ({ code: 0, stderr: "" }),
      (e: { code: number; stderr: string }) => e,
    );
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe(
      `Hasura at http://127.0.0.1:${port}/healthz did not answer as Hasura does (200 "OK") within 2 s (last: ECONNREFUSED)`,
    );
  });

  it("refuses --stack on a Kubernetes stack without --endpoint, naming the public host (recorded Pulumi CLI)", () => {
    const config = {
      "kinde-hasura:target": "kubernetes",
      "kinde-hasura:toolsImage": "registry.acme.com/t:1.0.0",
      "kinde-hasura:publicHost": "api.acme.com",
    };
    const run = (_command: string, args: string[]) => {
      if (args[0] === "version") return { code: 0, stdout: "v3.200.0", stderr: "" };
      if (args.includes("config"))
        return {
          code: 0,
          stdout: JSON.stringify(Object.fromEntries(Object.entries(config).map(([k, v]) => [k, { value: v, secret: false }]))),
          stderr: "",
        };
      if (args.includes("output"))
        return {
          code: 0,
          stdout: JSON.stringify({ hasuraUrl: "http://hasura.kinde-hasura-pr-9.svc", hasuraAdminSecret: "x".repeat(40) }),
          stderr: "",
        };
      return { code: 0, stdout: "", stderr: "" };
    };
    const attempt = () => resolveStack({ stack: "pr-9", env: {}, run, repoRoot: "/nowhere" });
    expect(attempt).toThrow(
      /^Stack pr-9 runs on Kubernetes, where Hasura's Service is inside the cluster: pass --endpoint https:\/\/api\.acme\.com, or forward it/,
    );
    const viaEndpoint = resolveStack({ stack: "pr-9", endpoint: "https://api.acme.com", env: {}, run, repoRoot: "/nowhere" });
    expect(viaEndpoint.endpoint).toBe("https://api.acme.com");
  });

  it("refuses a stack deployed with the former local issuer before signing a token Hasura would refuse (recorded Pulumi CLI)", () => {
    const outputs = { hasuraUrl: "http://127.0.0.1:8080", hasuraAdminSecret: "x".repeat(40), jwtIssuer: "urn:kinde-hasura:dev:local-signer" };
    const run = (_command: string, args: string[]) => {
      if (args[0] === "version") return { code: 0, stdout: "v3.200.0", stderr: "" };
      if (args.includes("config")) return { code: 0, stdout: "{}", stderr: "" };
      if (args.includes("output")) return { code: 0, stdout: JSON.stringify(outputs), stderr: "" };
      return { code: 0, stdout: "", stderr: "" };
    };
    expect(() => resolveStack({ stack: "dev", env: {}, run, repoRoot: "/nowhere" })).toThrow(
      "Stack dev's Hasura trusts issuer urn:kinde-hasura:dev:local-signer, but this version of the project signs for https://local-signer.invalid/kinde-hasura/dev: run npm run up for stack dev first",
    );
    outputs.jwtIssuer = "https://local-signer.invalid/kinde-hasura/dev";
    expect(resolveStack({ stack: "dev", env: {}, run, repoRoot: "/nowhere" }).policy.issuer).toBe(outputs.jwtIssuer);
  });

  it("says how to proceed when --stack needs the Pulumi CLI and it is missing", () => {
    const run = () => ({ code: 127, stdout: "", stderr: "pulumi: not found" });
    const attempt = () => resolveStack({ stack: "pr-9", env: {}, run, repoRoot: "/nowhere" });
    expect(attempt).toThrow(StackReadError);
    expect(attempt).toThrow(/^The Pulumi CLI is not installed .*\n\(or pass the endpoint and secrets through the environment instead of --stack\)$/);
  });
});
