// The secrets a stack may set (each optional: the program generates the credentials, Kinde issues its
// own): stored encrypted, header-safe, and for the dev signing key a real RSA key. A secret's value
// never appears in a message, only its length or kind.
import { createPrivateKey, createPublicKey } from "node:crypto";
import { isHeaderSafeSecret } from "./config-values.js";
import { OPTIONAL_SECRET_KEYS } from "./keys.js";
import type { SettingsReader } from "./reader.js";

const MIN_SIGNING_KEY_BITS = 2048;

/** Configured values only (the program generates what is missing); the caller wraps them as secrets at once. */
export interface ConfiguredSecrets {
  hasuraAdminSecret?: string;
  postgresPassword?: string;
  hasuraDbPassword?: string;
  /** Local signing mode only. */
  devSigningKey?: string;
  kindeManagementClientSecret?: string;
  kindeSmokeClientSecret?: string;
  /** Kubernetes target with postgresProvider external: the database Hasura and the step Jobs use. */
  databaseUrl?: string;
}

/** Every secret that is set: printable (it travels in headers and URLs) and stored with `--secret`. */
export function checkSecretStorage(r: SettingsReader): void {
  for (const key of OPTIONAL_SECRET_KEYS) {
    const raw = r.stored(key);
    // The PEM key is multi-line by nature; it is validated as PEM in readSecrets.
    if (raw && key !== "devSigningKey" && !isHeaderSafeSecret(raw)) {
      r.report(
        `${r.name(key)} must be printable ASCII without spaces, newlines or other control characters (it travels in HTTP headers ` +
          `and URLs); got a value that is not (its contents are not shown)`,
      );
    }
    if (r.isSecret && raw && !r.isSecret(key)) {
      r.report(
        `${r.name(key)} is stored in plain text in Pulumi.${r.ctx.stack}.yaml; remove it (\`pulumi config rm ${r.name(key)}\`) ` +
          `and set it with \`pulumi config set --secret ${r.name(key)} <value>\``,
      );
    }
  }
}

/**
 * The configured secrets, and the dev signing key's public half when one is set. A production stack
 * never signs locally, so it never gets (or keeps) a dev signing key.
 */
export function readSecrets(r: SettingsReader, signsLocally: boolean): { secrets: ConfiguredSecrets; publicKeyPem?: string } {
  const devSigningKey = signsLocally ? r.secret("devSigningKey") : undefined;
  const publicKeyPem = devSigningKey === undefined ? undefined : rsaPublicKeyOf(devSigningKey);
  if (devSigningKey !== undefined && publicKeyPem === undefined) {
    r.report(
      `${r.name("devSigningKey")} must be a PKCS#8 PEM RSA private key of ${MIN_SIGNING_KEY_BITS} bits or more ` +
        `("-----BEGIN PRIVATE KEY-----"); got a value that is not (its contents are not shown)`,
    );
  }
  const set = {
    hasuraAdminSecret: r.secret("hasuraAdminSecret"),
    postgresPassword: r.secret("postgresPassword"),
    hasuraDbPassword: r.secret("hasuraDbPassword"),
    devSigningKey,
    kindeManagementClientSecret: r.secret("kindeManagementClientSecret"),
    kindeSmokeClientSecret: r.secret("kindeSmokeClientSecret"),
    databaseUrl: r.secret("databaseUrl"),
  };
  const secrets = Object.fromEntries(Object.entries(set).filter(([, v]) => v !== undefined)) as ConfiguredSecrets;
  return { secrets, ...(publicKeyPem ? { publicKeyPem } : {}) };
}

/** The SPKI PEM of a PKCS#8 RSA private key of sufficient size, or undefined for anything else. */
export function rsaPublicKeyOf(privateKeyPem: string): string | undefined {
  if (!privateKeyPem.includes("-----BEGIN PRIVATE KEY-----")) return undefined;
  try {
    const key = createPrivateKey({ key: privateKeyPem, format: "pem" });
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (key.asymmetricKeyType !== "rsa" || bits < MIN_SIGNING_KEY_BITS) return undefined;
    return createPublicKey(key).export({ type: "spki", format: "pem" }).toString();
  } catch {
    return undefined;
  }
}
