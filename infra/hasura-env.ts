// Hasura's environment, the same hardening on both targets: telemetry off, no unauthorized role (a
// request without a token is refused), only the APIs in use (Hasura's production checklist). The Docker
// target writes it as KEY=VALUE; the Kubernetes target puts the secret ones in a Secret.
import * as pulumi from "@pulumi/pulumi";
import { hasuraJwtSecret, type JwtPolicy } from "../core/jwt-policy.js";

export interface HasuraEnvArgs {
  databaseUrl: string;
  adminSecret: string;
  jwtSecret: string;
  console?: boolean;
  devMode?: boolean;
  corsDomains: string[];
}

export interface HasuraVariable {
  name: string;
  value: string;
  /** Carries a credential: never a plain value in a manifest or a log. */
  secret: boolean;
}

export function hasuraVariables(args: HasuraEnvArgs): HasuraVariable[] {
  const console = args.console ?? false;
  const plain = (name: string, value: string) => ({ name, value, secret: false });
  const secret = (name: string, value: string) => ({ name, value, secret: true });
  return [
    // The catalog lives in hdb_catalog; the `default` source is added by metadata/ from PG_DATABASE_URL.
    secret("HASURA_GRAPHQL_METADATA_DATABASE_URL", args.databaseUrl),
    secret("PG_DATABASE_URL", args.databaseUrl),
    secret("HASURA_GRAPHQL_ADMIN_SECRET", args.adminSecret),
    // Not a credential (keys and issuer are public), kept with them so the Deployment holds no JSON blob.
    secret("HASURA_GRAPHQL_JWT_SECRET", args.jwtSecret),
    plain("HASURA_GRAPHQL_ENABLE_TELEMETRY", "false"),
    plain("HASURA_GRAPHQL_ENABLE_CONSOLE", String(console)),
    plain("HASURA_GRAPHQL_DEV_MODE", String(args.devMode ?? false)),
    // The console also uses the config and pgdump APIs; without it, GraphQL plus the admin-only metadata API.
    plain("HASURA_GRAPHQL_ENABLED_APIS", console ? "metadata,graphql,pgdump,config" : "metadata,graphql"),
    plain("HASURA_GRAPHQL_CORS_DOMAIN", args.corsDomains.join(",")),
    plain("HASURA_GRAPHQL_SERVER_PORT", "8080"),
  ];
}

/** HASURA_GRAPHQL_JWT_SECRET: the dev key's public half in local mode, Kinde's JWKS otherwise. */
export function jwtSecretJson(jwt: JwtPolicy, devPublicKeyPem: pulumi.Output<string> | undefined): pulumi.Output<string> {
  return devPublicKeyPem
    ? devPublicKeyPem.apply((publicKeyPem) => JSON.stringify(hasuraJwtSecret({ ...jwt, trust: { kind: "local", publicKeyPem } })))
    : pulumi.output(JSON.stringify(hasuraJwtSecret(jwt)));
}
