// kinde-hasura: one isolated Postgres + Hasura GraphQL Engine per stack that trusts the stack's token
// issuer, on one Docker host (infra/docker-stack.ts) or a Kubernetes cluster (infra/kubernetes/stack.ts).
// infra/config.ts validates the settings as a whole before the first resource.
import * as pulumi from "@pulumi/pulumi";
import { loadStackConfig } from "./config.js";
import { Credentials } from "./credentials.js";
import { dockerStack } from "./docker-stack.js";

const config = loadStackConfig();
const { jwt } = config;

// The credentials the config leaves unset, generated once and kept (encrypted) in the stack's state.
const credentials = new Credentials("credentials", { configured: config.secrets, trust: jwt.trust });
// The Kubernetes target's module is loaded only for a Kubernetes stack: @pulumi/kubernetes is a large SDK
// that every Docker deploy would otherwise load (and ts-node type-check) for nothing.
const deployed = config.kubernetes
  ? (await import("./kubernetes/stack.js")).kubernetesStack(config, config.kubernetes, credentials)
  : dockerStack(config, credentials);

export const hasuraUrl = deployed.hasuraUrl;
export const graphqlUrl = deployed.graphqlUrl;
export const consoleUrl = deployed.consoleUrl;
export const jwtIssuer = jwt.issuer;
export const jwtAudience = jwt.audience;
export const authMode = jwt.trust.kind;
export const postgresPort = deployed.postgresPort;
// Where scheduled backups land (`docker run --rm -v <volume>:/backups …` reads them).
export const backupVolume = deployed.backupVolume;
// Secret outputs (`pulumi stack output <name> --show-secrets`) for the smoke test, `npm run token` and `npm run backup|restore -- --stack`.
export const hasuraAdminSecret = pulumi.secret(credentials.hasuraAdminSecret);
export const postgresSuperuserPassword = pulumi.secret(credentials.postgresPassword);
export const devSigningKey = credentials.devSigningKey ? pulumi.secret(credentials.devSigningKey) : undefined;
