// kinde-hasura: one isolated Postgres + Hasura GraphQL Engine per stack that trusts the stack's token
// issuer, on one Docker host (infra/docker/stack.ts) or a Kubernetes cluster (infra/kubernetes/stack.ts).
// infra/config.ts validates the settings as a whole before the first resource.
import * as pulumi from "@pulumi/pulumi";
import { loadStackConfig } from "./config.js";
import { Credentials } from "./credentials.js";
import { dockerStack } from "./docker/stack.js";

const config = loadStackConfig();
const { jwt } = config;

// The credentials the config leaves unset, generated once and kept (encrypted) in the stack's state.
const credentials = new Credentials("credentials", { configured: config.secrets, trust: jwt.trust });
// The Kubernetes target's module is loaded only for a Kubernetes stack: @pulumi/kubernetes is a large SDK
// that every Docker deploy would otherwise load (and ts-node type-check) for nothing.
const deployed = config.kubernetes
  ? (await import("./kubernetes/stack.js")).kubernetesStack(config, config.kubernetes, credentials)
  : dockerStack(config, credentials);

// The stack outputs, as the default export: Pulumi takes a default export as the outputs (and refuses one
// beside named exports; @pulumi/pulumi cmd/run/run.ts), and an object lets an output that this stack does
// not have be left out. A named export left undefined makes every `pulumi up` warn "Undefined value
// (backupVolume) will not show as a stack output" (runtime/stack.ts, massage).
export default onlyDefined({
  hasuraUrl: deployed.hasuraUrl,
  graphqlUrl: deployed.graphqlUrl,
  consoleUrl: deployed.consoleUrl,
  jwtIssuer: jwt.issuer,
  jwtAudience: jwt.audience,
  authMode: jwt.trust.kind,
  postgresPort: deployed.postgresPort,
  // Where scheduled backups land (`docker run --rm -v <volume>:/backups …` reads them); only with backups.
  backupVolume: deployed.backupVolume,
  // Secret outputs (`pulumi stack output <name> --show-secrets`) for the smoke test, `npm run token` and
  // `npm run backup|restore -- --stack`; the signing key only in local signing mode.
  hasuraAdminSecret: pulumi.secret(credentials.hasuraAdminSecret),
  postgresSuperuserPassword: pulumi.secret(credentials.postgresPassword),
  devSigningKey: credentials.devSigningKey ? pulumi.secret(credentials.devSigningKey) : undefined,
});

function onlyDefined<T extends Record<string, unknown>>(outputs: T): Partial<T> {
  return Object.fromEntries(Object.entries(outputs).filter(([, value]) => value !== undefined)) as Partial<T>;
}
