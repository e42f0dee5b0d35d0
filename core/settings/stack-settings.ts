// A stack's configuration, read and validated in one pass before anything is created. Pure: values
// come in as the strings Pulumi stores, out as typed settings or one ConfigError listing every
// problem. Each message names the key, the rule and the bad value (a secret's value never: only its
// length or its kind). infra/config.ts feeds it from Pulumi; scripts feed it from `pulumi config`.
import { createPrivateKey, createPublicKey } from "node:crypto";
import { CLAIMS_MODES, type ClaimsMode, defaultKindeJwksUrl, type JwtPolicy, kindeIssuer, localIssuer } from "../jwt-policy.js";
import { isHeaderSafeSecret, isStrongSecret, majorVersion, parseImageReference, parseOrigin, STRONG_SECRET_RULE } from "./config-values.js";

/** Defaults, the same as the `config:` block of Pulumi.yaml (tests/stack-settings.test.ts keeps them equal). */
export const DEFAULTS = {
  production: "false",
  smokeOnUp: "auto",
  seedOnUp: "auto",
  kindeDomain: "",
  kindeManagementDomain: "",
  kindeAudience: "hasura",
  kindeClaims: "namespace",
  kindeJwksUrl: "",
  jwtAllowedSkew: "30",
  hasuraPort: "0",
  postgresPort: "0",
  hasuraConsole: "false",
  hasuraDevMode: "false",
  hasuraCorsDomains: "http://localhost:3000",
  postgresImage: "postgres:17.6",
  publicHost: "",
  acmeEmail: "",
  externalEdge: "",
  // Caddy 2.11.3: the newest release in Docker's official images when pinned (2026-05-12); the edge
  // uses only directives Caddy 2.6 (Debian's, in the tests) understands the same way.
  edgeImage: "caddy:2.11.3",
  backupDailyAt: "auto",
  backupEveryHours: "0",
  backupRetention: "7",
  backupHostDir: "",
  hasuraImage: "hasura/graphql-engine:v2.48.16",
  kindeManagementClientId: "",
  kindeAppClientId: "",
  kindeSmokeClientId: "",
} as const;

/**
 * Credentials the program generates when the stack sets none (RandomPassword, tls PrivateKey): a
 * configured value always wins. None is declared in Pulumi.yaml: a declared secret needs a value or a
 * plaintext default, and the CLI refuses both for an unset secret.
 */
export const SECRET_KEYS = ["hasuraAdminSecret", "postgresPassword", "hasuraDbPassword", "devSigningKey"] as const;
export type SecretKey = (typeof SECRET_KEYS)[number];
/** Secrets issued by Kinde: optional, never generated. */
export const KINDE_SECRET_KEYS = ["kindeManagementClientSecret", "kindeSmokeClientSecret"] as const;
/** Every secret the program reads; all are optional and set only with `pulumi config set --secret`. */
export const OPTIONAL_SECRET_KEYS = [...SECRET_KEYS, ...KINDE_SECRET_KEYS] as const;

const MIN_SIGNING_KEY_BITS = 2048;
/** The audience the Kinde workflows in kindeSrc/ recognise (a test keeps it equal to HASURA_AUDIENCE there). */
export const KINDE_WORKFLOW_AUDIENCE = "hasura";
/** More forgiveness than five minutes would keep an expired token alive too long. */
export const MAX_ALLOWED_SKEW = 300;

export interface StackSettings {
  project: string;
  stack: string;
  production: boolean;
  /** Run the smoke test as the last step of `pulumi up`. Default: on for non-production stacks. */
  smokeOnUp: boolean;
  /** Apply seeds/ after the migrations. Default: on for non-production stacks; never on production. */
  seedOnUp: boolean;
  jwt: JwtPolicy;
  hasura: HasuraSettings;
  postgres: PostgresSettings;
  /** The public TLS edge (Caddy), when the stack serves Hasura beyond the host itself. */
  edge?: EdgeSettings;
  /** Scheduled backups (infra/backup.ts), when a daily time or an interval is set. */
  backup?: BackupSettings;
  /** Kinde mode only: what `scripts/kinde.ts ensure` and the smoke test's real token need. */
  kinde: {
    /** Where users sign in: the token issuer and the JWKS host (a custom domain is allowed). */
    domain: string;
    /** Where the management API and M2M tokens live: always the *.kinde.com domain. */
    managementDomain: string;
    /** Management API credentials: when set, `pulumi up` ensures the API and app authorization. */
    managementClientId?: string;
    /** The front-end application to authorize for the audience. */
    appClientId?: string;
    /** An M2M application whose Kinde token the smoke test uses for its allowed checks. */
    smokeClientId?: string;
  };
  /**
   * Configured values only (the program generates what is missing): the caller wraps them as secrets
   * at once and never logs them.
   */
  secrets: {
    hasuraAdminSecret?: string;
    postgresPassword?: string;
    hasuraDbPassword?: string;
    /** Local signing mode only. */
    devSigningKey?: string;
    kindeManagementClientSecret?: string;
    kindeSmokeClientSecret?: string;
  };
}

export interface HasuraSettings {
  /** Pinned `hasura/graphql-engine` v2 image reference. */
  image: string;
  /** Host port on 127.0.0.1; 0 lets Docker pick a free one. */
  port: number;
  /** Serve /console (and the APIs it needs). */
  console: boolean;
  /** Internal error details in responses. */
  devMode: boolean;
  /** Browser origins allowed by CORS. */
  corsDomains: string[];
}

export interface PostgresSettings {
  /** Pinned image reference, e.g. `postgres:17.6`. */
  image: string;
  /** Host port on 127.0.0.1; 0 lets Docker pick a free one. */
  port: number;
}

export interface EdgeSettings {
  /** The public DNS name the certificate is for, e.g. api.example.com. */
  host: string;
  /** Let's Encrypt's contact for expiry notices. */
  email: string;
  /** Pinned Caddy 2 image reference. */
  image: string;
}

export interface BackupSettings {
  /** "HH:MM" UTC. */
  dailyAt?: string;
  /** Hours between backups. */
  everyHours?: number;
  /** How many backups the volume keeps. */
  retention: number;
  /** Absolute host directory each backup is also copied to, for an off-host shipper. */
  hostDir?: string;
}

/** Production backs up daily unless told otherwise; a quiet time in UTC. */
export const PRODUCTION_BACKUP_TIME = "03:00";
export const MAX_BACKUP_RETENTION = 365;
/** A week: a longer interval is a daily time's job. */
export const MAX_BACKUP_EVERY_HOURS = 168;

export class ConfigError extends Error {
  constructor(
    readonly stackName: string,
    readonly problems: string[],
  ) {
    super(`Stack "${stackName}" has invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** `get(key)` returns the stored value of `<project>:<key>` or undefined. */
export type ConfigLookup = (key: string) => string | undefined;

/**
 * `isSecret(key)`, when the caller can tell, says whether the stack stores `<project>:<key>` encrypted:
 * a secret set without `--secret` sits in plain text in Pulumi.<stack>.yaml and is refused.
 */
export function parseStackSettings(get: ConfigLookup, ctx: { project: string; stack: string }, isSecret?: (key: string) => boolean): StackSettings {
  const problems: string[] = [];
  const name = (key: string) => `${ctx.project}:${key}`;
  const value = (key: keyof typeof DEFAULTS) => get(key) ?? DEFAULTS[key];
  const fail = (key: string, rule: string, got: string) => {
    problems.push(`${name(key)} must be ${rule}; got ${JSON.stringify(got)}`);
  };
  // A bare host; an https:// prefix and a trailing slash are forgiven. "" stays "" (unset).
  const host = (key: string, raw: string, rule: string): string => {
    if (raw === "") return "";
    const bare = raw.replace(/^https:\/\//, "").replace(/\/$/, "");
    if (/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i.test(bare)) return bare.toLowerCase();
    fail(key, rule, raw);
    return "";
  };

  /** A whole number from min to max written with no more digits than max has, else reported. */
  const wholeNumber = (key: string, raw: string, min: number, max: number, rule: string): number | undefined => {
    const n = Number(raw);
    if (new RegExp(`^\\d{1,${String(max).length}}$`).test(raw) && n >= min && n <= max) return n;
    fail(key, rule, raw);
    return undefined;
  };
  const bool = (key: keyof typeof DEFAULTS): boolean => {
    const raw = value(key);
    if (raw === "true" || raw === "false") return raw === "true";
    fail(key, "true or false", raw);
    return false;
  };
  const port = (key: "hasuraPort" | "postgresPort"): number => {
    const raw = value(key);
    const n = Number(raw);
    if (/^\d+$/.test(raw) && n >= 0 && n <= 65535) return n;
    fail(key, "0 (Docker picks a free port) or a port from 1 to 65535", raw);
    return 0;
  };
  // The expected repository from any registry (a mirror such as registry.local:5000/postgres), at an
  // exact version: `latest`, a bare major or no tag would change under a running stack.
  const image = (key: "postgresImage" | "hasuraImage" | "edgeImage", repository: string, example: string, major?: number): string => {
    const raw = value(key);
    const ref = parseImageReference(raw);
    const version = majorVersion(ref?.tag);
    if (!ref || version === undefined) {
      fail(key, `an image pinned to an exact version such as ${example} (optionally @sha256:<digest>)`, raw);
    } else if (ref.repository !== repository) {
      fail(key, `the ${repository} image (from any registry) such as ${example}`, raw);
    } else if (major !== undefined && version !== major) {
      fail(key, `a ${repository} v${major} image such as ${example}`, raw);
    }
    return raw;
  };
  const secret = (key: SecretKey): string | undefined => {
    const raw = get(key);
    return raw === undefined || raw === "" ? undefined : raw;
  };
  for (const key of OPTIONAL_SECRET_KEYS) {
    const raw = get(key);
    // The PEM key is multi-line by nature; it is validated as PEM below.
    if (raw && key !== "devSigningKey" && !isHeaderSafeSecret(raw)) {
      problems.push(
        `${name(key)} must be printable ASCII without spaces, newlines or other control characters (it travels in HTTP headers and URLs); got a value that is not (its contents are not shown)`,
      );
    }
    if (isSecret && raw && !isSecret(key)) {
      problems.push(
        `${name(key)} is stored in plain text in Pulumi.${ctx.stack}.yaml; remove it (\`pulumi config rm ${name(key)}\`) and set it with \`pulumi config set --secret ${name(key)} <value>\``,
      );
    }
  }

  const production = bool("production");
  const smokeRaw = value("smokeOnUp");
  const smokeOnUp = smokeRaw === "auto" ? !production : smokeRaw === "true";
  if (!["auto", "true", "false"].includes(smokeRaw)) fail("smokeOnUp", '"auto" (on unless production), "true" or "false"', smokeRaw);
  const seedRaw = value("seedOnUp");
  const seedOnUp = seedRaw === "auto" ? !production : seedRaw === "true";
  if (!["auto", "true", "false"].includes(seedRaw)) fail("seedOnUp", '"auto" (on unless production), "true" or "false"', seedRaw);
  else if (production && seedOnUp)
    fail("seedOnUp", '"auto" or "false" on a production stack (production: true): seed data never goes to production', seedRaw);

  // Kinde domain: a bare host; an https:// prefix and a trailing slash are forgiven.
  const domainRaw = value("kindeDomain").trim();
  const kindeDomain = host("kindeDomain", domainRaw, "a host such as acme.kinde.com or auth.example.com");
  const managementRaw = value("kindeManagementDomain").trim();
  const managementOverride = host("kindeManagementDomain", managementRaw, "a Kinde domain such as acme.kinde.com");
  if (managementOverride && !isKindeHost(managementOverride))
    fail("kindeManagementDomain", "a Kinde domain such as acme.kinde.com (a *.kinde.com host)", managementRaw);

  const audience = value("kindeAudience");
  const audienceValid = /^[\x21-\x7e]+$/.test(audience);
  if (!audienceValid) fail("kindeAudience", "a non-empty audience of printable characters without spaces such as hasura", audience);

  const allowedSkew =
    wholeNumber("jwtAllowedSkew", value("jwtAllowedSkew"), 0, MAX_ALLOWED_SKEW, `a whole number of seconds from 0 to ${MAX_ALLOWED_SKEW}`) ?? 0;

  const claimsRaw = value("kindeClaims");
  const claims: ClaimsMode = CLAIMS_MODES.includes(claimsRaw as ClaimsMode) ? (claimsRaw as ClaimsMode) : "namespace";
  if (claims !== claimsRaw) fail("kindeClaims", `one of ${CLAIMS_MODES.map((m) => `"${m}"`).join(", ")}`, claimsRaw);

  const jwksOverride = value("kindeJwksUrl").trim();
  if (jwksOverride !== "") {
    const rule = production
      ? "an https:// URL such as https://acme.kinde.com/.well-known/jwks"
      : "an https:// URL such as https://acme.kinde.com/.well-known/jwks (or http://127.0.0.1:<port>/…, for the rehearsal's local JWKS)";
    if (!isJwksUrl(jwksOverride, !production)) {
      fail("kindeJwksUrl", rule, jwksOverride);
    } else if (domainRaw === "") {
      problems.push(`${name("kindeJwksUrl")} is set but ${name("kindeDomain")} is empty; set kindeDomain too, or remove kindeJwksUrl`);
    }
  }

  const hasuraPort = port("hasuraPort");
  const postgresPort = port("postgresPort");
  if (hasuraPort !== 0 && hasuraPort === postgresPort) {
    problems.push(`${name("hasuraPort")} and ${name("postgresPort")} must differ; both are ${hasuraPort}`);
  }

  const console = bool("hasuraConsole");
  const devMode = bool("hasuraDevMode");
  const corsRaw = value("hasuraCorsDomains");
  const corsDomains = corsRaw
    .split(",")
    .map((d) => d.trim())
    .filter((d) => d !== "");
  const origins = corsDomains.map((d) => (d === "*" ? "*" : parseOrigin(d)));
  if (corsDomains.length === 0 || origins.some((o) => o === undefined)) {
    fail("hasuraCorsDomains", "comma-separated origins with scheme such as https://app.example.com,http://localhost:3000", corsRaw);
  }

  /** publicHost and acmeEmail, each checked; both or neither. */
  const edgeSettings = (): StackSettings["edge"] => {
    const hostRaw = value("publicHost").trim();
    const emailRaw = value("acmeEmail").trim();
    const edgeImage = image("edgeImage", "caddy", "caddy:2.11.3", 2);
    if (hostRaw === "") {
      if (emailRaw !== "") problems.push(`${name("acmeEmail")} is set but ${name("publicHost")} is empty; set publicHost too, or remove acmeEmail`);
      return undefined;
    }
    const publicHost = host("publicHost", hostRaw, "a public DNS name such as api.example.com");
    if (!/^[^\s@]+@[^\s@]+\.[A-Za-z]{2,}$/.test(emailRaw))
      fail("acmeEmail", "an email address for Let's Encrypt's expiry notices such as ops@example.com", emailRaw);
    return publicHost ? { host: publicHost, email: emailRaw, image: edgeImage } : undefined;
  };
  const postgresImage = image("postgresImage", "postgres", "postgres:17.6");
  const edge = edgeSettings();

  /** When and how many: a daily UTC time and/or an interval (the Postgres image has no cron). */
  const backupSettings = (): BackupSettings | undefined => {
    const dailyRaw = value("backupDailyAt").trim();
    let dailyAt: string | undefined;
    if (dailyRaw === "auto") dailyAt = production ? PRODUCTION_BACKUP_TIME : undefined;
    else if (/^([01]\d|2[0-3]):[0-5]\d$/.test(dailyRaw)) dailyAt = dailyRaw;
    else if (dailyRaw !== "off")
      fail("backupDailyAt", `"auto" (${PRODUCTION_BACKUP_TIME} UTC on production, off elsewhere), "off" or a UTC time such as 02:30`, dailyRaw);
    const everyHours = wholeNumber(
      "backupEveryHours",
      value("backupEveryHours").trim(),
      0,
      MAX_BACKUP_EVERY_HOURS,
      `0 (off) or a whole number of hours from 1 to ${MAX_BACKUP_EVERY_HOURS}`,
    );
    const retention =
      wholeNumber(
        "backupRetention",
        value("backupRetention").trim(),
        1,
        MAX_BACKUP_RETENTION,
        `how many backups to keep, from 1 to ${MAX_BACKUP_RETENTION}`,
      ) ?? 1;
    const hostDirRaw = value("backupHostDir").trim();
    const hostDirProblem = backupHostDirProblem(hostDirRaw);
    if (hostDirProblem) fail("backupHostDir", hostDirProblem, hostDirRaw);
    const hostDir = hostDirProblem ? "" : normalHostDir(hostDirRaw);
    const scheduled = dailyAt !== undefined || (everyHours ?? 0) > 0;
    if (!scheduled) {
      // Only when the schedule itself is valid: a bad interval is already reported.
      if (hostDirRaw !== "" && everyHours !== undefined && (dailyRaw === "auto" || dailyRaw === "off"))
        problems.push(
          `${name("backupHostDir")} is set but no backups are scheduled; set ${name("backupDailyAt")} or ${name("backupEveryHours")} too, or remove backupHostDir`,
        );
      return undefined;
    }
    return { ...(dailyAt ? { dailyAt } : {}), ...(everyHours ? { everyHours } : {}), retention, ...(hostDir ? { hostDir } : {}) };
  };
  const backup = backupSettings();
  const hasuraImage = image("hasuraImage", "hasura/graphql-engine", "hasura/graphql-engine:v2.48.16", 2);

  const localMode = kindeDomain === "" && domainRaw === "";
  const hasuraAdminSecret = secret("hasuraAdminSecret");
  const postgresPassword = secret("postgresPassword");
  const hasuraDbPassword = secret("hasuraDbPassword");
  // A production stack never signs locally, so it never gets (or keeps) a dev signing key.
  const devSigningKey = localMode && !production ? secret("devSigningKey") : undefined;
  let publicKeyPem: string | undefined;
  if (devSigningKey !== undefined) {
    publicKeyPem = rsaPublicKeyOf(devSigningKey);
    if (publicKeyPem === undefined) {
      problems.push(
        `${name("devSigningKey")} must be a PKCS#8 PEM RSA private key of ${MIN_SIGNING_KEY_BITS} bits or more ` +
          `("-----BEGIN PRIVATE KEY-----"); got a value that is not (its contents are not shown)`,
      );
    }
  }

  // Kinde automation: ids in plain config, their secrets encrypted; each pair complete or absent.
  const kindeIds = {
    managementClientId: value("kindeManagementClientId").trim(),
    appClientId: value("kindeAppClientId").trim(),
    smokeClientId: value("kindeSmokeClientId").trim(),
  };
  const kindeManagementClientSecret = get("kindeManagementClientSecret") || undefined;
  const kindeSmokeClientSecret = get("kindeSmokeClientSecret") || undefined;
  const setKindeKeys = [
    ...Object.entries({
      kindeManagementClientId: kindeIds.managementClientId,
      kindeAppClientId: kindeIds.appClientId,
      kindeSmokeClientId: kindeIds.smokeClientId,
    })
      .filter(([, v]) => v !== "")
      .map(([k]) => k),
    ...(kindeManagementClientSecret ? ["kindeManagementClientSecret"] : []),
    ...(kindeSmokeClientSecret ? ["kindeSmokeClientSecret"] : []),
  ];
  if (localMode && setKindeKeys.length > 0) {
    problems.push(
      `Kinde automation keys (${setKindeKeys.map(name).join(", ")}) need Kinde mode, but ${name("kindeDomain")} is empty; set kindeDomain or remove them`,
    );
  } else {
    const pair = (idKey: string, id: string, secretKey: string, secretValue: string | undefined) => {
      if (id !== "" && !secretValue)
        problems.push(
          `${name(secretKey)} is required when ${name(idKey)} is set; set it with \`pulumi config set --secret ${name(secretKey)} <value>\``,
        );
      if (id === "" && secretValue) problems.push(`${name(idKey)} is required when ${name(secretKey)} is set`);
    };
    pair("kindeManagementClientId", kindeIds.managementClientId, "kindeManagementClientSecret", kindeManagementClientSecret);
    pair("kindeSmokeClientId", kindeIds.smokeClientId, "kindeSmokeClientSecret", kindeSmokeClientSecret);
    // Kinde: "Even if you use custom domains, you need to use your Kinde domain for Kinde Management
    // API access and machine-to-machine applications."
    const needsManagementDomain = kindeIds.managementClientId !== "" || kindeIds.smokeClientId !== "";
    if (!localMode && kindeDomain && needsManagementDomain && !managementOverride && !isKindeHost(kindeDomain)) {
      problems.push(
        `${name("kindeManagementDomain")} is required when ${name("kindeDomain")} is a custom domain (${kindeDomain}) and a management or smoke M2M client is set: ` +
          "Kinde serves the management API and M2M tokens on your *.kinde.com domain only; set it to that domain",
      );
    }
    // The Kinde workflows in kindeSrc/ give a session only to tokens for the audience they were
    // built with (HASURA_AUDIENCE, kindeSrc/environment/workflows/hasuraSession.ts): Kinde offers them
    // no per-stack setting, so another audience would silently get tokens without claims.
    if (!localMode && claims === "namespace" && audienceValid && audience !== KINDE_WORKFLOW_AUDIENCE) {
      problems.push(
        `${name("kindeAudience")} must be "${KINDE_WORKFLOW_AUDIENCE}" in Kinde namespace mode: the Kinde workflows (kindeSrc/) add the Hasura claims only to tokens for that audience; ` +
          `got ${JSON.stringify(audience)}. Change HASURA_AUDIENCE in kindeSrc/environment/workflows/hasuraSession.ts and redeploy the workflows first, or use kindeClaims "sub"`,
      );
    }
    // Kinde's M2M tokens carry aud, azp, exp, gty, iat, iss, jti, scope, scp, v and no `sub`: in sub
    // mode Hasura's claims_map finds no user id, so the smoke's real-token checks could never pass.
    if (!localMode && kindeIds.smokeClientId !== "" && claims === "sub") {
      problems.push(
        `${name("kindeSmokeClientId")} needs ${name("kindeClaims")} "namespace": Kinde's M2M tokens have no sub, so in "sub" mode Hasura finds no user id in them; ` +
          "use namespace mode (the hasuraM2MClaims workflow gives M2M tokens a session) or remove kindeSmokeClientId",
      );
    }
  }

  if (production) {
    const why = "on a production stack (production: true)";
    if (localMode) {
      problems.push(`${name("kindeDomain")} is required ${why}; local signing mode is for development only`);
    }
    if (console) fail("hasuraConsole", `false ${why}`, "true");
    if (devMode) fail("hasuraDevMode", `false ${why}`, "true");
    if (!edge && value("externalEdge").trim() === "") {
      problems.push(
        `${name("publicHost")} is required ${why}: without it Hasura listens on the host's 127.0.0.1 only. ` +
          `Set it (and ${name("acmeEmail")}) for the TLS edge, or set ${name("externalEdge")} to what serves it instead (e.g. "nginx on the host")`,
      );
    }
    if (corsDomains.some((d) => d.includes("*"))) fail("hasuraCorsDomains", `exact origins without "*" ${why}`, corsRaw);
    else if (origins.some((o) => o !== undefined && o !== "*" && o.scheme !== "https"))
      fail("hasuraCorsDomains", `https:// origins only ${why}`, corsRaw);
    // Only what the stack sets is judged here; generated credentials meet the rule by construction.
    for (const [key, secretValue] of [
      ["hasuraAdminSecret", hasuraAdminSecret],
      ["postgresPassword", postgresPassword],
      ["hasuraDbPassword", hasuraDbPassword],
    ] as const) {
      if (secretValue !== undefined && isHeaderSafeSecret(secretValue) && !isStrongSecret(secretValue)) {
        problems.push(
          `${name(key)} must be ${STRONG_SECRET_RULE} ${why}; got a value that is not (${secretValue.length} characters; its contents are not shown)`,
        );
      }
    }
  }

  if (problems.length > 0) throw new ConfigError(ctx.stack, problems);

  const jwt: JwtPolicy = localMode
    ? {
        issuer: localIssuer(ctx.project, ctx.stack),
        audience,
        claims,
        allowedSkew,
        trust: { kind: "local", ...(publicKeyPem ? { publicKeyPem } : {}) },
      }
    : {
        issuer: kindeIssuer(kindeDomain),
        audience,
        claims,
        allowedSkew,
        trust: { kind: "kinde", jwksUrl: jwksOverride || defaultKindeJwksUrl(kindeDomain) },
      };
  return {
    project: ctx.project,
    stack: ctx.stack,
    production,
    smokeOnUp,
    seedOnUp,
    jwt,
    hasura: { image: hasuraImage, port: hasuraPort, console, devMode, corsDomains },
    postgres: { image: postgresImage, port: postgresPort },
    ...(edge ? { edge } : {}),
    ...(backup ? { backup } : {}),
    kinde: {
      domain: kindeDomain,
      managementDomain: managementOverride || kindeDomain,
      ...(kindeIds.managementClientId ? { managementClientId: kindeIds.managementClientId } : {}),
      ...(kindeIds.appClientId ? { appClientId: kindeIds.appClientId } : {}),
      ...(kindeIds.smokeClientId ? { smokeClientId: kindeIds.smokeClientId } : {}),
    },
    secrets: {
      ...(hasuraAdminSecret !== undefined ? { hasuraAdminSecret } : {}),
      ...(postgresPassword !== undefined ? { postgresPassword } : {}),
      ...(hasuraDbPassword !== undefined ? { hasuraDbPassword } : {}),
      ...(devSigningKey !== undefined ? { devSigningKey } : {}),
      ...(kindeManagementClientSecret ? { kindeManagementClientSecret } : {}),
      ...(kindeSmokeClientSecret ? { kindeSmokeClientSecret } : {}),
    },
  };
}

/** Repeated and trailing slashes removed: `//srv//backups/` is `/srv/backups`. */
function normalHostDir(raw: string): string {
  return raw.replace(/\/+/g, "/").replace(/(.)\/$/, "$1");
}

/**
 * System places a root container must not get read-write (the Docker socket is root on the host), and
 * whole trees whose other contents the backups have no business beside.
 */
const FORBIDDEN_HOST_DIRS = [
  "/",
  "/bin",
  "/boot",
  "/dev",
  "/etc",
  "/home",
  "/lib",
  "/lib32",
  "/lib64",
  "/libx32",
  "/opt",
  "/proc",
  "/root",
  "/run",
  "/sbin",
  "/srv",
  "/sys",
  "/tmp",
  "/usr",
  "/var",
  "/var/lib",
  "/var/lib/docker",
  "/var/run",
];
const FORBIDDEN_HOST_TREES = ["/bin", "/boot", "/dev", "/etc", "/lib", "/proc", "/run", "/sbin", "/sys", "/usr", "/var/lib/docker", "/var/run"];

/** Why a backupHostDir cannot be bind-mounted, or undefined when it can ("" is unset). */
function backupHostDirProblem(raw: string): string | undefined {
  if (raw === "") return undefined;
  const rule = "an absolute host directory of its own such as /var/backups/kinde-hasura";
  // `:` and `,` end a bind spec's host part in Docker; control characters have no place in a path.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point.
  if (!raw.startsWith("/") || /[\x00-\x1f\x7f:,]/.test(raw) || raw.split("/").some((part) => part === ".." || part === ".")) {
    return `${rule} (no . or .. segments, no ':' or ',')`;
  }
  const dir = normalHostDir(raw);
  if (FORBIDDEN_HOST_DIRS.includes(dir) || FORBIDDEN_HOST_TREES.some((tree) => dir.startsWith(`${tree}/`))) {
    return `${rule}, not a system directory (${dir} is one)`;
  }
  return undefined;
}

/**
 * An https:// URL with a host and a path; on non-production stacks also http:// on 127.0.0.1, which
 * only the rehearsal serves (inside a real container 127.0.0.1 is the container itself).
 */
function isJwksUrl(raw: string, allowLoopback: boolean): boolean {
  if (/\s/.test(raw)) return false;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return false;
  }
  if (url.username || url.password || url.pathname === "/" || url.hostname === "") return false;
  return url.protocol === "https:" || (allowLoopback && url.protocol === "http:" && url.hostname === "127.0.0.1");
}

function isKindeHost(host: string): boolean {
  return host.endsWith(".kinde.com");
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
