// What the Kubernetes target's Kinde and smoke Jobs are given: plain values, and credentials as keys of
// the step Secret (the Docker target's counterpart is infra/docker/step-inputs.ts).
import { signingPolicy } from "../../core/jwt-policy.js";
import type { STEPS, StepInputs } from "../../core/steps.js";
import type { StackConfig } from "../config.js";
import type { EnvSource } from "./step-job.js";

type FromSecret = (key: string) => EnvSource;

/** The Kinde setup Job's inputs and what re-runs it, when management credentials are configured. */
export function kindeJobInputs(
  config: StackConfig,
  fromSteps: FromSecret,
): { inputs: StepInputs<typeof STEPS.kinde, EnvSource>; rerunWhen: string[] } | undefined {
  const { kinde, jwt, secrets } = config;
  if (!kinde.managementClientId || !secrets.kindeManagementClientSecret) return undefined;
  return {
    inputs: {
      domain: { value: kinde.managementDomain },
      clientId: { value: kinde.managementClientId },
      clientSecret: fromSteps("kindeManagementClientSecret"),
      audience: { value: jwt.audience },
      ...(kinde.appClientId ? { appClientId: { value: kinde.appClientId } } : {}),
      ...(kinde.smokeClientId ? { smokeClientId: { value: kinde.smokeClientId } } : {}),
    },
    rerunWhen: [kinde.managementDomain, jwt.audience, kinde.appClientId ?? "", kinde.smokeClientId ?? ""],
  };
}

/** The smoke Job's inputs: Hasura as admin, the signing policy, the dev key in local mode, the smoke M2M client in Kinde mode. */
export function smokeJobInputs(
  config: StackConfig,
  hasuraAdmin: { endpoint: EnvSource; adminSecret: EnvSource },
  fromSteps: FromSecret,
  hasDevSigningKey: boolean,
): StepInputs<typeof STEPS.smoke, EnvSource> {
  const { kinde, jwt, secrets } = config;
  return {
    ...hasuraAdmin,
    jwtPolicy: { value: JSON.stringify(signingPolicy(jwt)) },
    ...(hasDevSigningKey ? { devSigningKey: fromSteps("devSigningKey") } : {}),
    ...(kinde.smokeClientId && secrets.kindeSmokeClientSecret
      ? {
          kindeDomain: { value: kinde.managementDomain },
          kindeClientId: { value: kinde.smokeClientId },
          kindeClientSecret: fromSteps("kindeSmokeClientSecret"),
        }
      : {}),
  };
}
