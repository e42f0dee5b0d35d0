// What `npm run web` makes of a deployed stack (examples/web/web-config.ts): who signs users in, where
// the app talks to, and the messages when the stack cannot serve the example app.
import { describe, expect, it } from "vitest";
import { parseStackSettings } from "../../core/settings/stack-settings.js";
import { corsAllows, LOCAL_CLIENT_ID, webPlanOf } from "../../examples/web/web-config.js";
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
    expect(LOCAL_CLIENT_ID).not.toBe("");
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

  it("tells whether Hasura answers CORS for the page's origin as hasuraCorsDomains reads", () => {
    expect(corsAllows(["http://localhost:3000", "http://127.0.0.1:3000"], "http://127.0.0.1:3000")).toBe(true);
    expect(corsAllows(["http://127.0.0.1:3000"], "http://127.0.0.1:3001")).toBe(false);
    expect(corsAllows(["*"], "http://127.0.0.1:9")).toBe(true);
    expect(corsAllows(["https://*.acme.com"], "https://app.acme.com")).toBe(true);
    expect(corsAllows(["https://*.acme.com"], "http://app.acme.com")).toBe(false);
    expect(corsAllows(["https://*.acme.com"], "https://acme.com.evil.example")).toBe(false);
  });
});
