// Kinde's claims workflows, run with Kinde's runtime global stubbed the way Kinde's own tests stub it
// (kinde-oss/infrastructure lib/main.test.ts): the helpers call kinde.<token>.setCustomClaim(name, value).
// Type-checked by kindeSrc/tsconfig.json (bundler resolution, as Kinde builds workflows).
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { userTokenClaims } from "../../core/jwt-policy.js";
import m2mWorkflow, { workflowSettings as m2mSettings } from "../../kindeSrc/environment/workflows/hasuraM2MClaims/Workflow.js";
import userWorkflow, { workflowSettings as userSettings } from "../../kindeSrc/environment/workflows/hasuraUserClaims/Workflow.js";

type Token = { getCustomClaims: ReturnType<typeof vi.fn>; setCustomClaim: ReturnType<typeof vi.fn> };
const runtime = globalThis as unknown as { kinde?: { accessToken?: Token; m2mToken?: Token } };
const token = (): Token => ({ getCustomClaims: vi.fn().mockReturnValue({}), setCustomClaim: vi.fn() });

beforeEach(() => {
  runtime.kinde = { accessToken: token(), m2mToken: token() };
});
afterEach(() => {
  delete runtime.kinde;
});

const domains = { kindeDomain: "https://acme.kinde.com" };
const userEvent = (userId: string) =>
  ({
    request: { auth: { audience: ["hasura"] }, ip: "203.0.113.1", userAgent: "test" },
    context: {
      domains,
      application: { clientId: "spa-client" },
      auth: { origin: "test", connectionId: "c", isExistingSession: false },
      user: { id: userId, identityId: "i" },
      workflow: { trigger: "user:tokens_generation" },
      organization: { code: "org_1" },
    },
  }) as unknown as Parameters<typeof userWorkflow>[0];
const m2mEvent = (audience: string[]) =>
  ({
    request: { auth: { audience, scope: [] }, ip: "203.0.113.1" },
    context: { domains, application: { clientId: "m2m_smoke_client" }, workflow: { trigger: "m2m:token_generation" } },
  }) as unknown as Parameters<typeof m2mWorkflow>[0];

describe("user token workflow", () => {
  it("sets exactly the Hasura session the namespace mode expects, and nothing else", async () => {
    await userWorkflow(userEvent("kp_123"));
    const set = runtime.kinde?.accessToken?.setCustomClaim;
    expect(set).toHaveBeenCalledTimes(1);
    expect(set).toHaveBeenCalledWith("https://hasura.io/jwt/claims", {
      "x-hasura-user-id": "kp_123",
      "x-hasura-default-role": "user",
      "x-hasura-allowed-roles": ["user"],
    });
    // The same claims the stack's smoke test and token CLI sign.
    expect(set?.mock.calls[0]?.[1]).toEqual(userTokenClaims("namespace", "kp_123")["https://hasura.io/jwt/claims"]);
  });

  it("declares the user token trigger and the access token binding it uses", () => {
    expect(userSettings).toEqual({
      id: "hasuraUserClaims",
      name: "Hasura session claims for user access tokens",
      trigger: "user:tokens_generation",
      failurePolicy: { action: "stop" },
      bindings: { "kinde.accessToken": {} },
    });
  });

  it("fails with Kinde's message when the access token binding is missing", async () => {
    runtime.kinde = {};
    await expect(userWorkflow(userEvent("kp_123"))).rejects.toThrow(
      "accessToken binding not available, please add to workflow/page settings to enable",
    );
  });
});

describe("M2M token workflow", () => {
  it("gives a client asking for the Hasura audience a session with its client id as user id", async () => {
    await m2mWorkflow(m2mEvent(["hasura"]));
    expect(runtime.kinde?.m2mToken?.setCustomClaim).toHaveBeenCalledTimes(1);
    expect(runtime.kinde?.m2mToken?.setCustomClaim).toHaveBeenCalledWith("https://hasura.io/jwt/claims", {
      "x-hasura-user-id": "m2m_smoke_client",
      "x-hasura-default-role": "user",
      "x-hasura-allowed-roles": ["user"],
    });
  });

  it("sets nothing for another audience, for no audience, or alongside the management API", async () => {
    await m2mWorkflow(m2mEvent(["billing-api"]));
    await m2mWorkflow(m2mEvent([]));
    await m2mWorkflow(m2mEvent(["hasura", "https://acme.kinde.com/api"]));
    expect(runtime.kinde?.m2mToken?.setCustomClaim).not.toHaveBeenCalled();
    expect(runtime.kinde?.m2mToken?.getCustomClaims).not.toHaveBeenCalled();
  });

  it("declares the M2M trigger and binding, and fails with Kinde's message without the binding", async () => {
    expect(m2mSettings.trigger).toBe("m2m:token_generation");
    expect(m2mSettings.bindings).toEqual({ "kinde.m2mToken": {} });
    runtime.kinde = {};
    await expect(m2mWorkflow(m2mEvent(["hasura"]))).rejects.toThrow("m2mToken binding not available, please add to workflow/page settings to enable");
  });
});
