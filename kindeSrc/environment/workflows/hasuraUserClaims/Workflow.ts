// Runs when Kinde issues a user's access token (sign-in, silent return, refresh) and adds the Hasura
// session under https://hasura.io/jwt/claims, as Kinde's Hasura guide does. Only this custom claim is
// written: iss, sub, aud, exp and the other claims Kinde reserves are untouched.
import { accessTokenCustomClaims, type onUserTokenGeneratedEvent, type WorkflowSettings, WorkflowTrigger } from "@kinde/infrastructure";
import { HASURA_CLAIMS_NAMESPACE, type HasuraSession, hasuraSession } from "../hasuraSession.js";

export const workflowSettings: WorkflowSettings = {
  id: "hasuraUserClaims",
  name: "Hasura session claims for user access tokens",
  trigger: WorkflowTrigger.UserTokenGeneration,
  // Stop: a token without its Hasura session would sign the user in to a Hasura that refuses them.
  failurePolicy: { action: "stop" },
  bindings: { "kinde.accessToken": {} },
};

export default async function Workflow(event: onUserTokenGeneratedEvent): Promise<void> {
  const accessToken = accessTokenCustomClaims<{ [HASURA_CLAIMS_NAMESPACE]: HasuraSession }>();
  accessToken[HASURA_CLAIMS_NAMESPACE] = hasuraSession(event.context.user.id);
}
