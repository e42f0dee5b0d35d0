import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as tls from "@pulumi/tls";
import type { TokenTrust } from "../core/jwt-policy.js";

export interface CredentialsArgs {
  /** Values the stack's config sets (as secrets); each one wins over a generated one. */
  configured: {
    hasuraAdminSecret?: pulumi.Output<string>;
    postgresPassword?: pulumi.Output<string>;
    hasuraDbPassword?: pulumi.Output<string>;
    devSigningKey?: pulumi.Output<string>;
  };
  /** Where Hasura gets its keys: only a stack that signs its own tokens (local) has a dev signing key. */
  trust: TokenTrust;
}

/**
 * The stack's credentials: the configured ones, and for each one the stack leaves unset a generated
 * one that lives, encrypted, in the stack's state and survives every later `up` unchanged. Replace one
 * only on purpose (`pulumi up --replace <urn>`; docs/configuration.md, "Credentials").
 */
export class Credentials extends pulumi.ComponentResource {
  public readonly hasuraAdminSecret: pulumi.Output<string>;
  public readonly postgresPassword: pulumi.Output<string>;
  public readonly hasuraDbPassword: pulumi.Output<string>;
  /** Local signing mode only: the PKCS#8 PEM private key the smoke test and `npm run token` sign with. */
  public readonly devSigningKey: pulumi.Output<string> | undefined;
  /** Local signing mode only: the SPKI PEM public key Hasura trusts. */
  public readonly devPublicKeyPem: pulumi.Output<string> | undefined;

  constructor(name: string, args: CredentialsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kinde-hasura:index:Credentials", name, {}, opts);
    const child = { parent: this };
    // URL-, header- and shell-safe characters only, with every class present (40 characters, about
    // 235 bits): the values travel in connection URLs and HTTP headers.
    const password = (suffix: string) =>
      pulumi.secret(
        new random.RandomPassword(
          `${name}-${suffix}`,
          { length: 40, special: true, overrideSpecial: "-_.~", minLower: 2, minUpper: 2, minNumeric: 2, minSpecial: 1 },
          child,
        ).result,
      );
    const c = args.configured;
    this.hasuraAdminSecret = c.hasuraAdminSecret ?? password("admin-secret");
    this.postgresPassword = c.postgresPassword ?? password("postgres-password");
    this.hasuraDbPassword = c.hasuraDbPassword ?? password("hasura-db-password");

    // The configured key's public half was derived and checked with the config.
    const localSigning = args.trust.kind === "local";
    const configuredPublicKeyPem = args.trust.kind === "local" ? args.trust.publicKeyPem : undefined;
    if (localSigning && c.devSigningKey && configuredPublicKeyPem) {
      this.devSigningKey = c.devSigningKey;
      this.devPublicKeyPem = pulumi.output(configuredPublicKeyPem);
    } else if (localSigning) {
      const key = new tls.PrivateKey(`${name}-dev-signing-key`, { algorithm: "RSA", rsaBits: 2048 }, child);
      // PKCS#8, which the smoke test and token CLI read; privateKeyPem is PKCS#1 for RSA.
      this.devSigningKey = pulumi.secret(key.privateKeyPemPkcs8);
      this.devPublicKeyPem = key.publicKeyPem;
    }
    this.registerOutputs({});
  }
}
