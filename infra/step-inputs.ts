// What the program hands the Kinde setup step and the smoke gate, from the stack's settings, for either
// target (the variables they travel in: core/steps.ts). The targets differ only in how a value travels:
// on Docker as the command's environment itself, on Kubernetes as a plain env value or a key of the
// step Secret; each passes its own `StepValues`.
import type * as pulumi from "@pulumi/pulumi";
import { signingPolicy } from "../core/jwt-policy.js";
import type { STEPS, StepInputs } from "../core/steps.js";
import type { StackConfig } from "./config.js";

/** The credentials a step may need, by the name the Kubernetes step Secret gives them. */
export type StepCredential = "kindeManagementClientSecret" | "kindeSmokeClientSecret" | "devSigningKey";

export interface StepValues<V> {
  /** A value anyone may read in the plan (a domain, a client id, a URL). */
  plain(value: pulumi.Input<string>): V;
  /** A credential; asked for only when the stack has it. */
  secret(credential: StepCredential): V;
}

/** The Kinde setup step's inputs and what re-runs it, when management credentials are configured. */
export function kindeStepInputs<V>(
  config: StackConfig,
  values: StepValues<V>,
): { inputs: StepInputs<typeof STEPS.kinde, V>; rerunWhen: string[] } | undefined {
  const { kinde, jwt, secrets, webApp } = config;
  if (!kinde.managementClientId || !secrets.kindeManagementClientSecret) return undefined;
  // The example app's URL and the token lifetime belong to the front-end application alone.
  const frontEnd = kinde.appClientId
    ? {
        ...(webApp.url ? { appUrl: webApp.url } : {}),
        ...(webApp.accessTokenLifetime !== undefined ? { accessTokenLifetime: String(webApp.accessTokenLifetime) } : {}),
      }
    : {};
  return {
    inputs: {
      domain: values.plain(kinde.managementDomain),
      clientId: values.plain(kinde.managementClientId),
      clientSecret: values.secret("kindeManagementClientSecret"),
      audience: values.plain(jwt.audience),
      ...(kinde.appClientId ? { appClientId: values.plain(kinde.appClientId) } : {}),
      ...(kinde.smokeClientId ? { smokeClientId: values.plain(kinde.smokeClientId) } : {}),
      ...(frontEnd.appUrl ? { appUrl: values.plain(frontEnd.appUrl) } : {}),
      ...(frontEnd.accessTokenLifetime ? { accessTokenLifetime: values.plain(frontEnd.accessTokenLifetime) } : {}),
    },
    // Again when what it ensures changes; a rotated management secret alone changes nothing in Kinde.
    // The front-end entries only when set, so a stack without them keeps its triggers (and does not re-run).
    rerunWhen: [
      kinde.managementDomain,
      jwt.audience,
      kinde.appClientId ?? "",
      kinde.smokeClientId ?? "",
      ...(frontEnd.appUrl ? [frontEnd.appUrl] : []),
      ...(frontEnd.accessTokenLifetime ? [`accessTokenLifetime=${frontEnd.accessTokenLifetime}`] : []),
    ],
  };
}

/**
 * The smoke gate's inputs: Hasura as admin, the stack's signing policy, the dev signing key in local
 * mode, and in Kinde mode with a smoke M2M application its credentials, so the allowed checks use a
 * real Kinde token (the hasuraM2MClaims workflow gives it a session).
 */
export function smokeStepInputs<V>(
  config: StackConfig,
  hasuraAdmin: { endpoint: V; adminSecret: V },
  values: StepValues<V>,
  hasDevSigningKey: boolean,
): StepInputs<typeof STEPS.smoke, V> {
  const { kinde, jwt, secrets } = config;
  return {
    ...hasuraAdmin,
    jwtPolicy: values.plain(JSON.stringify(signingPolicy(jwt))),
    ...(hasDevSigningKey ? { devSigningKey: values.secret("devSigningKey") } : {}),
    ...(kinde.smokeClientId && secrets.kindeSmokeClientSecret
      ? {
          kindeDomain: values.plain(kinde.managementDomain),
          kindeClientId: values.plain(kinde.smokeClientId),
          kindeClientSecret: values.secret("kindeSmokeClientSecret"),
        }
      : {}),
  };
}
