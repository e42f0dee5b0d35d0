// The smoke test's real Kinde token: the client-credentials request it sends and how it reads the
// answer, against recorded Kinde token endpoint responses served from 127.0.0.1.
import { afterEach, describe, expect, it } from "vitest";
import { fetchClientCredentialsToken, kindeTokenUrl } from "../../scripts/lib/kinde/m2m-token.js";
import { type ResolvedStack, realKindeToken } from "../../scripts/lib/smoke/target.js";
import { type RecordedHasura, recordedHasura as recordedServer } from "../support/recorded-hasura.js";

let server: RecordedHasura | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const SECRET = "m2m-client-secret-value";
const kindeStack = (extra: Partial<ResolvedStack> = {}): ResolvedStack => ({
  endpoint: "http://127.0.0.1:1",
  adminSecret: "x",
  policy: { issuer: "https://acme.kinde.com", audience: "hasura", claims: "namespace", mode: "kinde" },
  production: false,
  source: "test",
  kindeSmokeClient: { domain: "acme.kinde.com", clientId: "m2m_smoke", clientSecret: SECRET },
  ...extra,
});

describe("a Kinde M2M token for the smoke test (token responses shaped as Kinde's OAuth docs describe them, not recorded)", () => {
  it("asks the token endpoint for the Hasura audience with the client credentials", async () => {
    server = await recordedServer([
      { status: 200, body: { access_token: "eyJ.recorded.token", expires_in: 86400, token_type: "bearer", scope: "" } },
    ]);
    const token = await fetchClientCredentialsToken({
      tokenUrl: `${server.url}/oauth2/token`,
      clientId: "m2m_smoke",
      clientSecret: SECRET,
      audience: "hasura",
    });
    expect(token).toBe("eyJ.recorded.token");
    expect(server.received[0]?.path).toBe("/oauth2/token");
    expect(server.received[0]?.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    expect(Object.fromEntries(new URLSearchParams(server.received[0]?.body as string))).toEqual({
      grant_type: "client_credentials",
      client_id: "m2m_smoke",
      client_secret: SECRET,
      audience: "hasura",
    });
  });

  it("says what Kinde refused and what to check, without the secret", async () => {
    server = await recordedServer([{ status: 401, body: { error: "invalid_client", error_description: "Client authentication failed" } }]);
    const attempt = fetchClientCredentialsToken({
      tokenUrl: `${server.url}/oauth2/token`,
      clientId: "m2m_smoke",
      clientSecret: SECRET,
      audience: "hasura",
    });
    await expect(attempt).rejects.toThrow(
      "Kinde refused a token for M2M application m2m_smoke with audience hasura (HTTP 401: invalid_client: Client authentication failed). " +
        "Check kindeSmokeClientId/kindeSmokeClientSecret and that the application is authorized for the audience (npm run kinde -- ensure).",
    );
    await attempt.catch((err: Error) => expect(err.message).not.toContain(SECRET));
  });

  it("is fetched only in Kinde mode, and SMOKE_TOKEN wins over the M2M application", async () => {
    server = await recordedServer(() => ({ status: 200, body: { access_token: "fetched" } }));
    const url = server.url;
    const log: string[] = [];
    expect(
      await realKindeToken(
        kindeStack({ policy: { ...kindeStack().policy, mode: "local" } }),
        undefined,
        () => {},
        () => url,
      ),
    ).toBeUndefined();
    expect(
      await realKindeToken(
        kindeStack(),
        "given-token",
        (l) => log.push(l),
        () => url,
      ),
    ).toBe("given-token");
    expect(
      await realKindeToken(
        kindeStack(),
        undefined,
        (l) => log.push(l),
        () => `${url}/oauth2/token`,
      ),
    ).toBe("fetched");
    expect(
      await realKindeToken(
        kindeStack({ kindeSmokeClient: undefined }),
        undefined,
        () => {},
        () => url,
      ),
    ).toBeUndefined();
    expect(log).toEqual([
      "Using the Kinde access token in SMOKE_TOKEN.",
      "Using a real Kinde token for M2M application m2m_smoke (audience hasura).",
    ]);
    expect(server.received).toHaveLength(1);
  });

  it("targets the domain's https token endpoint", () => {
    expect(kindeTokenUrl("acme.kinde.com")).toBe("https://acme.kinde.com/oauth2/token");
    expect(kindeTokenUrl("https://auth.acme.com/")).toBe("https://auth.acme.com/oauth2/token");
  });
});
