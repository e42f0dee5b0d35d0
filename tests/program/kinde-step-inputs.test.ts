// What the Kinde setup step is given for the front-end application (infra/step-inputs.ts): the example
// app's URL and the token lifetime only when the stack sets them, and only with a front-end application.
import { describe, expect, it } from "vitest";
import { parseStackSettings } from "../../core/settings/stack-settings.js";
import type { StackConfig } from "../../infra/config.js";
import { kindeStepInputs, type StepValues } from "../../infra/step-inputs.js";
import { prodKindeConfig } from "../support/fixtures.js";

const values: StepValues<string> = { plain: (v) => String(v), secret: (c) => `<secret ${c}>` };
const automation = { production: "false", kindeManagementClientId: "mgmt", kindeManagementClientSecret: "mgmt-secret", kindeAppClientId: "spa" };

function stepOf(config: Record<string, string>) {
  const settings = parseStackSettings((k) => config[k], { project: "kinde-hasura", stack: "staging" });
  // The step reads the secrets' presence only; the values here stand in for Pulumi Outputs.
  return kindeStepInputs(settings as unknown as StackConfig, values);
}

describe("the Kinde setup step's front-end inputs", () => {
  it("passes webAppUrl and kindeAccessTokenLifetime when set, and re-runs when they change", () => {
    const step = stepOf({ ...prodKindeConfig(), ...automation, webAppUrl: "https://app.acme.com/", kindeAccessTokenLifetime: "900" });
    expect(step?.inputs).toMatchObject({ appClientId: "spa", appUrl: "https://app.acme.com", accessTokenLifetime: "900" });
    expect(step?.rerunWhen).toEqual(["acme.kinde.com", "hasura", "spa", "", "https://app.acme.com", "accessTokenLifetime=900"]);
  });

  it("passes neither on a Kinde stack that sets neither: no default callback URL lands on the team's application", () => {
    const step = stepOf({ ...prodKindeConfig(), ...automation });
    expect(step?.inputs).not.toHaveProperty("appUrl");
    expect(step?.inputs).not.toHaveProperty("accessTokenLifetime");
    expect(step?.rerunWhen).toEqual(["acme.kinde.com", "hasura", "spa", ""]);
  });

  it("passes no app URL without a front-end application to give it to", () => {
    const step = stepOf({ ...prodKindeConfig(), ...automation, kindeAppClientId: "", webAppUrl: "https://app.acme.com" });
    expect(step?.inputs).not.toHaveProperty("appUrl");
  });
});
