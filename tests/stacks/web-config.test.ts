// What `npm run web` makes of a deployed stack (examples/web/web-config.ts): who signs users in, where
// the app talks to, and the messages when the stack cannot serve the example app.
import { describe, expect, it } from "vitest";
import { parseStackSettings } from "../../core/settings/stack-settings.js";
import { isLoopbackHost } from "../../examples/web/loopback-server.js";
import { corsAllows, webPlanOf } from "../../examples/web/web-config.js";
import { credentialsOf } from "../../scripts/lib/stacks/stack-reader.js";
import { devConfig, prodKindeConfig, rsaKeyPair } from "../support/fixtures.js";

const { privateKeyPem } = rsaKeyPair();
const outputs = { graphqlUrl: "http://127.0.0.1:8080/v1/graphql", hasuraUrl: "http://127.0.0.1:8080" };

function deployed(config: Record<string, string>, stack: string, out: Record<string, unknown> = outputs) {
  const settings = parseStackSettings((k) => config[k], { project: "kinde-hasura", stack });
  return { settings, outputs: out, credentials: credentialsOf(settings, out) };
}

describe("the example app's plan for a stack", () => {
  it("signs in with the local sign-in on a local-signing-mode stack, with the stack's own key and issuer", () => {
    const plan = webPlanOf(deployed(devConfig(privateKeyPem), "dev"));
    expect(plan).toMatchObject({
      stack: "dev",
      graphqlUrl: outputs.graphqlUrl,
      audience: "hasura",
      appUrl: "http://127.0.0.1:3000",
      signIn: {
        kind: "local",
        signer: { issuer: "https://local-signer.invalid/kinde-hasura/dev", audience: "hasura", claims: "namespace", signingKeyPem: privateKeyPem },
      },
    });
  });

  it("signs in with Kinde on a Kinde stack: the sign-in domain and the front-end application", () => {
    const config = { ...prodKindeConfig(), kindeAppClientId: "spa_client", webAppUrl: "https://app.acme.com" };
    expect(webPlanOf(deployed(config, "prod")).signIn).toEqual({ kind: "kinde", domain: "https://acme.kinde.com", clientId: "spa_client" });
  });

  it("says what is missing: the graphqlUrl output, the front-end application, the app's URL on production", () => {
    expect(() => webPlanOf(deployed(devConfig(privateKeyPem), "dev", {}))).toThrow("Stack dev has no graphqlUrl output; run npm run up first");
    expect(() => webPlanOf(deployed({ ...prodKindeConfig(), webAppUrl: "https://app.acme.com" }, "prod"))).toThrow(
      "Stack prod signs in with Kinde but sets no kindeAppClientId: create a front-end application in Kinde",
    );
    expect(() => webPlanOf(deployed({ ...prodKindeConfig(), kindeAppClientId: "spa_client" }, "prod"))).toThrow("Stack prod sets no webAppUrl");
    const withoutKey = { ...devConfig(privateKeyPem), devSigningKey: "" };
    delete (withoutKey as Record<string, string>).devSigningKey;
    expect(() => webPlanOf(deployed(withoutKey, "dev"))).toThrow(
      "Stack dev is in local signing mode but has no devSigningKey output; run npm run up first",
    );
  });

  it("refuses to run the local sign-in for a production stack or one served beyond this machine", () => {
    const dev = deployed(devConfig(privateKeyPem), "dev");
    // Settings refuse local signing mode on production already; the plan refuses it again on its own.
    expect(() => webPlanOf({ ...dev, settings: { ...dev.settings, production: true } })).toThrow(
      "Stack dev is a production stack: the local sign-in never serves one",
    );
    const edge = { host: "api.example.com", email: "ops@example.com", image: "caddy:2.11.3" };
    expect(() => webPlanOf({ ...dev, settings: { ...dev.settings, edge } })).toThrow(
      "Stack dev is served beyond this machine (publicHost api.example.com) and trusts its dev key: the local sign-in never serves such a stack",
    );
  });

  it("refuses a stack whose Hasura trusts another issuer than this version signs for (deployed before the local issuer changed)", () => {
    const stale = deployed(devConfig(privateKeyPem), "dev", { ...outputs, jwtIssuer: "urn:kinde-hasura:dev:local-signer" });
    expect(() => webPlanOf(stale)).toThrow(
      "Stack dev's Hasura trusts issuer urn:kinde-hasura:dev:local-signer, but this version of the project signs for https://local-signer.invalid/kinde-hasura/dev: run npm run up for stack dev first",
    );
    expect(
      webPlanOf(deployed(devConfig(privateKeyPem), "dev", { ...outputs, jwtIssuer: "https://local-signer.invalid/kinde-hasura/dev" })).stack,
    ).toBe("dev");
  });

  it("serves only requests addressed to this machine's loopback (no DNS rebinding)", () => {
    expect(isLoopbackHost("127.0.0.1:3000", 3000)).toBe(true);
    expect(isLoopbackHost("localhost:3000", 3000)).toBe(true);
    expect(isLoopbackHost("evil.example:3000", 3000)).toBe(false);
    expect(isLoopbackHost("127.0.0.1:3001", 3000)).toBe(false);
    expect(isLoopbackHost(undefined, 3000)).toBe(false);
  });

  it("tells whether Hasura answers CORS for the page's origin as hasuraCorsDomains reads", () => {
    expect(corsAllows(["http://localhost:3000", "http://127.0.0.1:3000"], "http://127.0.0.1:3000")).toBe(true);
    expect(corsAllows(["http://127.0.0.1:3000"], "http://127.0.0.1:3001")).toBe(false);
    expect(corsAllows(["*"], "http://127.0.0.1:9")).toBe(true);
    expect(corsAllows(["https://*.acme.com"], "https://app.acme.com")).toBe(true);
    expect(corsAllows(["https://*.acme.com"], "http://app.acme.com")).toBe(false);
    expect(corsAllows(["https://*.acme.com"], "https://acme.com.evil.example")).toBe(false);
  });
});
