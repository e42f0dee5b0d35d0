// What the program hands the Kinde setup step and the smoke gate, from the stack's settings and
// resources (the variables they travel in: core/steps.ts).
import type * as pulumi from "@pulumi/pulumi";
import { signingPolicy } from "../../core/jwt-policy.js";
import type { STEPS, StepInputs } from "../../core/steps.js";
import type { StackConfig } from "../config.js";

type Input = pulumi.Input<string>;

/** The Kinde setup step's inputs and what re-runs it, when management credentials are configured. */
export function kindeSetup(config: StackConfig): { inputs: StepInputs<typeof STEPS.kinde, Input>; rerunWhen: Input[] } | undefined {
  const { kinde, jwt, secrets } = config;
  if (!kinde.managementClientId || !secrets.kindeManagementClientSecret) return undefined;
  return {
    inputs: {
      domain: kinde.managementDomain,
      clientId: kinde.managementClientId,
      clientSecret: secrets.kindeManagementClientSecret,
      audience: jwt.audience,
      appClientId: kinde.appClientId ?? "",
      smokeClientId: kinde.smokeClientId ?? "",
    },
    // Again when what it ensures changes; a rotated management secret alone changes nothing in Kinde.
    rerunWhen: [kinde.managementDomain, jwt.audience, kinde.appClientId ?? "", kinde.smokeClientId ?? ""],
  };
}

/**
 * The smoke gate's inputs: Hasura as admin, the stack's signing policy, the dev signing key in local
 * mode, and in Kinde mode with a smoke M2M application its credentials, so the allowed checks use a
 * real Kinde token (the hasuraM2MClaims workflow gives it a session).
 */
export function smokeInputs(
  config: StackConfig,
  hasuraAdmin: { endpoint: Input; adminSecret: Input },
  devSigningKey: pulumi.Output<string> | undefined,
): StepInputs<typeof STEPS.smoke, Input> {
  const { kinde, jwt, secrets } = config;
  return {
    ...hasuraAdmin,
    jwtPolicy: JSON.stringify(signingPolicy(jwt)),
    ...(devSigningKey ? { devSigningKey } : {}),
    ...(kinde.smokeClientId && secrets.kindeSmokeClientSecret
      ? { kindeDomain: kinde.managementDomain, kindeClientId: kinde.smokeClientId, kindeClientSecret: secrets.kindeSmokeClientSecret }
      : {}),
  };
}
