// Runs when Kinde issues a machine-to-machine token. When the client asked for the Hasura audience, it
// adds a Hasura session whose user id is the application's client id, so a machine client (the smoke
// test's, a backend job) holds a real Kinde token this Hasura accepts. Tokens for other audiences are
// left alone, and so are tokens that also ask for the Kinde management API, which Kinde forbids
// workflows to modify.
import { m2mTokenClaims, type onM2MTokenGeneratedEvent, type WorkflowSettings, WorkflowTrigger } from "@kinde/infrastructure";
import { HASURA_AUDIENCE, HASURA_CLAIMS_NAMESPACE, type HasuraSession, hasuraSession } from "../hasuraSession.js";

export const workflowSettings: WorkflowSettings = {
  id: "hasuraM2MClaims",
  name: "Hasura session claims for M2M tokens",
  trigger: WorkflowTrigger.M2MTokenGeneration,
  failurePolicy: { action: "stop" },
  bindings: { "kinde.m2mToken": {} },
};

export default async function Workflow(event: onM2MTokenGeneratedEvent): Promise<void> {
  const audiences = event.request.auth.audience ?? [];
  const managementApi = `${event.context.domains.kindeDomain.replace(/\/+$/, "")}/api`;
  if (!audiences.includes(HASURA_AUDIENCE) || audiences.includes(managementApi)) return;
  const m2mToken = m2mTokenClaims<{ [HASURA_CLAIMS_NAMESPACE]: HasuraSession }>();
  m2mToken[HASURA_CLAIMS_NAMESPACE] = hasuraSession(event.context.application.clientId);
}
