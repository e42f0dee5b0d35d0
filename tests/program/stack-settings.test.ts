import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { DEFAULTS, KINDE_SECRET_KEYS, OPTIONAL_SECRET_KEYS, SECRET_KEYS } from "../../core/settings/keys.js";
import { ConfigError, parseStackSettings } from "../../core/settings/stack-settings.js";
import { devConfig, prodKindeConfig, rsaKeyPair } from "../support/fixtures.js";

const { privateKeyPem, publicKeyPem } = rsaKeyPair();
const ctx = { project: "kinde-hasura", stack: "dev" };

function settings(config: Record<string, string>, stack = "dev") {
  return parseStackSettings((key) => config[key], { ...ctx, stack });
}

/** The problems a config is refused for, in order. */
function problems(config: Record<string, string>, stack = "dev"): string[] {
  try {
    settings(config, stack);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error("expected the configuration to be refused");
}

describe("stack settings", () => {
  it("declares every plain key in Pulumi.yaml with the same default the code applies, and no secret", () => {
    const declared = parse(readFileSync("Pulumi.yaml", "utf8")).config as Record<
      string,
      { default?: unknown; secret?: boolean; description?: string }
    >;
    const defaults = Object.fromEntries(Object.entries(declared).map(([k, d]) => [k, String(d.default)]));
    expect(defaults).toEqual(DEFAULTS);
    // Pulumi demands a value for every declared key without a default ("Stack 'x' is missing
    // configuration value") and refuses a secret key left on a plaintext default: secrets are optional
    // (the program generates the credentials), so none is declared.
    expect(Object.entries(declared).filter(([, d]) => d.secret || d.default === undefined)).toEqual([]);
    for (const key of OPTIONAL_SECRET_KEYS) expect(Object.keys(declared)).not.toContain(key);
    expect([...OPTIONAL_SECRET_KEYS].sort()).toEqual([...SECRET_KEYS, ...KINDE_SECRET_KEYS, "databaseUrl"].sort());
    for (const [key, d] of Object.entries(declared)) expect(d.description, key).toMatch(/.{20,}/);
  });

  it("reads a dev stack as local signing mode with the dev key's public half", () => {
    const s = settings(devConfig(privateKeyPem));
    expect(s.jwt).toEqual({
      issuer: "https://local-signer.invalid/kinde-hasura/dev",
      audience: "hasura",
      claims: "namespace",
      allowedSkew: 30,
      trust: { kind: "local", publicKeyPem },
    });
    expect(s.hasura).toEqual({
      image: "hasura/graphql-engine:v2.48.16",
      port: 8080,
      console: true,
      devMode: true,
      corsDomains: ["http://localhost:3000", "http://127.0.0.1:3000"],
    });
    expect(s.postgres).toEqual({ image: "postgres:17.6", port: 15432 });
    expect(s.production).toBe(false);
  });

  it("accepts an https:// prefix and trailing slash on kindeDomain and derives issuer and JWKS URL", () => {
    const s = settings({ ...prodKindeConfig(), kindeDomain: "https://Acme.kinde.com/" }, "prod");
    expect(s.jwt).toEqual({
      issuer: "https://acme.kinde.com",
      audience: "hasura",
      claims: "namespace",
      allowedSkew: 30,
      trust: { kind: "kinde", jwksUrl: "https://acme.kinde.com/.well-known/jwks" },
    });
    expect(s.secrets.devSigningKey).toBeUndefined();
  });

  it("uses kindeJwksUrl when given", () => {
    const s = settings({ ...prodKindeConfig(), kindeJwksUrl: "https://auth.acme.com/.well-known/jwks.json" }, "prod");
    expect(s.jwt.trust).toEqual({ kind: "kinde", jwksUrl: "https://auth.acme.com/.well-known/jwks.json" });
  });

  it("names key, rule and value for each bad value, all at once", () => {
    expect(
      problems({
        ...devConfig(privateKeyPem),
        production: "yes",
        kindeDomain: "http://x",
        kindeAudience: "has ura",
        kindeClaims: "roles",
        hasuraPort: "80000",
        postgresPort: "-1",
        hasuraConsole: "on",
        hasuraCorsDomains: "localhost:3000",
        postgresImage: "postgres:latest",
        hasuraImage: "hasura/graphql-engine:v3.0.1",
      }),
    ).toEqual([
      'kinde-hasura:production must be true or false; got "yes"',
      'kinde-hasura:kindeDomain must be a host such as acme.kinde.com or auth.example.com; got "http://x"',
      'kinde-hasura:kindeAudience must be a non-empty audience of printable characters without spaces such as hasura; got "has ura"',
      'kinde-hasura:kindeClaims must be one of "namespace", "sub"; got "roles"',
      'kinde-hasura:hasuraPort must be 0 (Docker picks a free port) or a port from 1 to 65535; got "80000"',
      'kinde-hasura:postgresPort must be 0 (Docker picks a free port) or a port from 1 to 65535; got "-1"',
      'kinde-hasura:hasuraConsole must be true or false; got "on"',
      'kinde-hasura:hasuraCorsDomains must be comma-separated origins with scheme such as https://app.example.com,http://localhost:3000; got "localhost:3000"',
      'kinde-hasura:postgresImage must be an image pinned to an exact version such as postgres:17.6 (optionally @sha256:<digest>); got "postgres:latest"',
      'kinde-hasura:hasuraImage must be a hasura/graphql-engine v2 image such as hasura/graphql-engine:v2.48.16; got "hasura/graphql-engine:v3.0.1"',
    ]);
  });

  it("refuses images that float: no tag, latest, or a major-only tag", () => {
    for (const image of ["postgres", "postgres:latest", "postgres:17"]) {
      expect(problems({ ...devConfig(privateKeyPem), postgresImage: image })).toEqual([
        `kinde-hasura:postgresImage must be an image pinned to an exact version such as postgres:17.6 (optionally @sha256:<digest>); got "${image}"`,
      ]);
    }
    const digest = `postgres:17.6@sha256:${"a".repeat(64)}`;
    expect(settings({ ...devConfig(privateKeyPem), postgresImage: digest }).postgres.image).toBe(digest);
  });

  it("treats a secret left empty as unset: the program generates it", () => {
    const s = settings({ ...devConfig(privateKeyPem), devSigningKey: "", hasuraAdminSecret: "" });
    expect(s.secrets.devSigningKey).toBeUndefined();
    expect(s.secrets.hasuraAdminSecret).toBeUndefined();
    expect(s.jwt.trust).toEqual({ kind: "local" });
    expect(settings({ ...prodKindeConfig(), devSigningKey: "", kindeManagementClientSecret: "", kindeSmokeClientSecret: "" }, "prod").kinde).toEqual({
      domain: "acme.kinde.com",
      managementDomain: "acme.kinde.com",
    });
  });

  it("accepts a stack with no secret at all (a fresh clone), and never keeps a dev key on a Kinde or production stack", () => {
    expect(settings({}).secrets).toEqual({});
    expect(settings({}).jwt.trust).toEqual({ kind: "local" });
    const prod = prodKindeConfig();
    const { hasuraAdminSecret, postgresPassword, hasuraDbPassword, ...noSecrets } = prod;
    void [hasuraAdminSecret, postgresPassword, hasuraDbPassword];
    expect(settings({ ...noSecrets, devSigningKey: privateKeyPem }, "prod").secrets).toEqual({});
  });

  it("refuses a signing key that is not a 2048-bit PKCS#8 RSA key without echoing it", () => {
    const weak = rsaKeyPair(1024).privateKeyPem;
    for (const key of [weak, "not a key", privateKeyPem.replace("PRIVATE KEY", "RSA PRIVATE KEY")]) {
      const found = problems({ ...devConfig(privateKeyPem), devSigningKey: key });
      expect(found).toEqual([
        'kinde-hasura:devSigningKey must be a PKCS#8 PEM RSA private key of 2048 bits or more ("-----BEGIN PRIVATE KEY-----"); ' +
          "got a value that is not (its contents are not shown)",
      ]);
      if (key.length > 100) expect(found.join()).not.toContain(key.slice(40, 80));
    }
  });

  it("refuses kindeJwksUrl without kindeDomain, and a non-https JWKS URL", () => {
    expect(problems({ ...devConfig(privateKeyPem), kindeJwksUrl: "https://acme.kinde.com/.well-known/jwks" })).toEqual([
      "kinde-hasura:kindeJwksUrl is set but kinde-hasura:kindeDomain is empty; set kindeDomain too, or remove kindeJwksUrl",
    ]);
    expect(problems({ ...prodKindeConfig(), kindeJwksUrl: "http://acme.kinde.com/jwks" }, "prod")).toEqual([
      'kinde-hasura:kindeJwksUrl must be an https:// URL such as https://acme.kinde.com/.well-known/jwks; got "http://acme.kinde.com/jwks"',
    ]);
  });

  it("takes only https JWKS URLs on every stack, the rehearsal's loopback JWKS included, and no URL tricks", () => {
    const staging = { ...prodKindeConfig(), production: "false" };
    // The rehearsal's Kinde stand-in serves https on 127.0.0.1 with a certificate the rehearsal trusts.
    expect(settings({ ...staging, kindeJwksUrl: "https://127.0.0.1:40123/.well-known/jwks" }, "staging").jwt.trust).toEqual({
      kind: "kinde",
      jwksUrl: "https://127.0.0.1:40123/.well-known/jwks",
    });
    const rule = "an https:// URL such as https://acme.kinde.com/.well-known/jwks";
    for (const [url, stack] of [
      ["http://127.0.0.1:40123/.well-known/jwks", "staging"],
      ["http://127.0.0.1:40123/.well-known/jwks", "prod"],
      ["http://localhost:1/jwks", "staging"],
      ["http://10.0.0.1/jwks", "staging"],
      ["https://acme.kinde.com@evil.example/jwks", "staging"],
      ["https://%zz/jwks", "staging"],
      ["https://acme.kinde.com:99999/jwks", "staging"],
      ["https://acme.kinde.com/", "staging"],
    ] as const) {
      const config = stack === "prod" ? prodKindeConfig() : staging;
      expect(problems({ ...config, kindeJwksUrl: url }, stack), url).toEqual([
        `kinde-hasura:kindeJwksUrl must be ${rule}; got ${JSON.stringify(url)}`,
      ]);
    }
  });

  it("refuses a secret stored in plain text, without showing it, and accepts it stored encrypted", () => {
    const config = { ...devConfig(privateKeyPem) };
    const encrypted = new Set(["postgresPassword", "hasuraDbPassword", "devSigningKey"]);
    const refused = (() => {
      try {
        parseStackSettings(
          (k) => config[k],
          ctx,
          (k) => encrypted.has(k),
        );
      } catch (err) {
        return (err as ConfigError).problems;
      }
      return [];
    })();
    expect(refused).toEqual([
      "kinde-hasura:hasuraAdminSecret is stored in plain text in Pulumi.dev.yaml; remove it (`pulumi config rm kinde-hasura:hasuraAdminSecret`) " +
        "and set it with `pulumi config set --secret kinde-hasura:hasuraAdminSecret <value>`",
    ]);
    expect(refused.join()).not.toContain(config.hasuraAdminSecret);
    encrypted.add("hasuraAdminSecret");
    expect(
      parseStackSettings(
        (k) => config[k],
        ctx,
        (k) => encrypted.has(k),
      ).secrets.hasuraAdminSecret,
    ).toBe(config.hasuraAdminSecret);
  });

  it("refuses a smoke M2M client in sub mode, and another audience where the Kinde workflows expect hasura", () => {
    const staging = { ...prodKindeConfig(), production: "false" };
    expect(
      problems({ ...staging, kindeClaims: "sub", kindeSmokeClientId: "m2m", kindeSmokeClientSecret: "Smoke-Client-Secret-0123456789" }, "staging"),
    ).toEqual([
      'kinde-hasura:kindeSmokeClientId needs kinde-hasura:kindeClaims "namespace": Kinde\'s M2M tokens have no sub, so in ' +
        '"sub" mode Hasura finds no user id in them; use namespace mode (the hasuraM2MClaims workflow gives M2M tokens a session) ' +
        "or remove kindeSmokeClientId",
    ]);
    expect(problems({ ...staging, kindeAudience: "api.acme" }, "staging")).toEqual([
      'kinde-hasura:kindeAudience must be "hasura" in Kinde namespace mode: the Kinde workflows (kindeSrc/) add the Hasura ' +
        'claims only to tokens for that audience; got "api.acme". Change HASURA_AUDIENCE in kindeSrc/environment/workflows/hasuraSession.ts ' +
        'and redeploy the workflows first, or use kindeClaims "sub"',
    ]);
    expect(settings({ ...staging, kindeClaims: "sub", kindeAudience: "api.acme" }, "staging").jwt.audience).toBe("api.acme");
    expect(settings({ ...devConfig(privateKeyPem), kindeAudience: "api.acme" }).jwt.audience).toBe("api.acme");
  });

  it("takes allowed_skew from jwtAllowedSkew within its bound", () => {
    expect(settings({ ...devConfig(privateKeyPem), jwtAllowedSkew: "0" }).jwt.allowedSkew).toBe(0);
    expect(settings({ ...devConfig(privateKeyPem), jwtAllowedSkew: "300" }).jwt.allowedSkew).toBe(300);
    for (const raw of ["301", "-1", "1.5", "ten", ""]) {
      expect(problems({ ...devConfig(privateKeyPem), jwtAllowedSkew: raw }), raw).toEqual([
        `kinde-hasura:jwtAllowedSkew must be a whole number of seconds from 0 to 300; got ${JSON.stringify(raw)}`,
      ]);
    }
  });

  it("refuses one host port for both containers", () => {
    expect(problems({ ...devConfig(privateKeyPem), postgresPort: "8080" })).toEqual([
      "kinde-hasura:hasuraPort and kinde-hasura:postgresPort must differ; both are 8080",
    ]);
  });

  describe("on a production stack", () => {
    it("accepts a hardened Kinde configuration", () => {
      expect(settings(prodKindeConfig(), "prod").production).toBe(true);
    });

    it("refuses local signing mode", () => {
      const { kindeDomain: _omitted, ...local } = prodKindeConfig();
      expect(problems(local, "prod")).toEqual([
        "kinde-hasura:kindeDomain is required on a production stack (production: true); local signing mode is for development only",
      ]);
    });

    it("refuses console, dev mode and CORS *", () => {
      expect(
        problems({ ...prodKindeConfig(), hasuraConsole: "true", hasuraDevMode: "true", hasuraCorsDomains: "https://app.acme.com,*" }, "prod"),
      ).toEqual([
        'kinde-hasura:hasuraConsole must be false on a production stack (production: true); got "true"',
        'kinde-hasura:hasuraDevMode must be false on a production stack (production: true); got "true"',
        'kinde-hasura:hasuraCorsDomains must be exact origins without "*" on a production stack (production: true); got "https://app.acme.com,*"',
      ]);
    });

    it("refuses weak production secrets by the strength rule, naming the length and never the value", () => {
      const rule =
        "at least 32 characters, with at least 3 of lower case, upper case, digits and symbols, and no character more than 4 times in a row";
      const weak = [
        "short-secret-value",
        " ".repeat(32),
        "x".repeat(40),
        "abcdefghijklmnopqrstuvwxyzabcdefgh",
        "Aaaaaa1-Bbbbbbbb2-Ccccccccc3-Ddddddd",
      ];
      for (const value of weak) {
        const found = problems({ ...prodKindeConfig(), hasuraAdminSecret: value }, "prod");
        expect(found, JSON.stringify(value)).toHaveLength(1);
        expect(found[0]).toMatch(
          new RegExp(
            `^kinde-hasura:hasuraAdminSecret must be (${rule.replace(/[()]/g, "\\$&")} on a production stack \\(production: ` +
              `true\\); got a value that is not \\(${value.length} characters; its contents are not shown\\)|printable ASCII)`,
          ),
        );
        if (value.trim() !== "") expect(found.join()).not.toContain(value);
      }
      expect(settings({ ...prodKindeConfig(), hasuraAdminSecret: "Strong-Admin-Secret-4-Production-2026!" }, "prod").production).toBe(true);
    });

    it("refuses production origins that are not https://", () => {
      expect(problems({ ...prodKindeConfig(), hasuraCorsDomains: "https://app.acme.com,http://app.acme.com" }, "prod")).toEqual([
        'kinde-hasura:hasuraCorsDomains must be https:// origins only on a production stack (production: true); got "https://app.acme.com,http://app.acme.com"',
      ]);
    });
  });

  it("refuses passwords and secrets with control characters, whitespace or non-ASCII, without showing them", () => {
    for (const value of ["a-secret\nwith-a-newline-0123456789", "tab\tin-it-0123456789", "non-ascii-é-0123456789", "nul\u0000-0123456789"]) {
      for (const key of ["hasuraAdminSecret", "postgresPassword", "hasuraDbPassword", "kindeSmokeClientSecret"] as const) {
        const found = problems({ ...devConfig(privateKeyPem), [key]: value });
        expect(found, `${key} ${JSON.stringify(value)}`).toContain(
          `kinde-hasura:${key} must be printable ASCII without spaces, newlines or other control characters (it travels in ` +
            `HTTP headers and URLs); got a value that is not (its contents are not shown)`,
        );
        expect(found.join()).not.toContain(value.slice(0, 8));
      }
    }
  });

  it("parses image references: the expected repository from any registry, at an exact version", () => {
    const pinned = "an image pinned to an exact version such as postgres:17.6 (optionally @sha256:<digest>)";
    const refused: Array<[string, string]> = [
      ["mysql:8.0.36", "the postgres image (from any registry) such as postgres:17.6"],
      ["postgres", pinned],
      ["postgres:17", pinned],
      ["postgres:latest", pinned],
      ["Postgres:17.6", pinned],
      ["postgres:17.6@sha256:short", pinned],
    ];
    for (const [image, rule] of refused)
      expect(problems({ ...devConfig(privateKeyPem), postgresImage: image }), image).toEqual([
        `kinde-hasura:postgresImage must be ${rule}; got ${JSON.stringify(image)}`,
      ]);
    for (const image of ["registry.local:5000/postgres:17.6", "docker.io/library/postgres:17.6-bookworm", "library/postgres:18.1"]) {
      expect(settings({ ...devConfig(privateKeyPem), postgresImage: image }).postgres.image, image).toBe(image);
    }
    expect(problems({ ...devConfig(privateKeyPem), hasuraImage: "evil/hasura/graphql-engine:v2.48.16" })).toEqual([
      'kinde-hasura:hasuraImage must be the hasura/graphql-engine image (from any registry) such as hasura/graphql-engine:v2.48.16; got "evil/hasura/graphql-engine:v2.48.16"',
    ]);
    expect(settings({ ...devConfig(privateKeyPem), hasuraImage: "registry.local:5000/hasura/graphql-engine:v2.48.16" }).hasura.image).toBe(
      "registry.local:5000/hasura/graphql-engine:v2.48.16",
    );
  });

  it("parses origins: ports in range, no paths or credentials, a NUL-free audience", () => {
    for (const origin of [
      "http://localhost:99999",
      "https://app.example.com/path",
      "https://user@app.example.com",
      "ftp://app.example.com",
      "https://",
    ]) {
      expect(problems({ ...devConfig(privateKeyPem), hasuraCorsDomains: origin }), origin).toEqual([
        `kinde-hasura:hasuraCorsDomains must be comma-separated origins with scheme such as https://app.example.com,http://localhost:3000; got ${JSON.stringify(origin)}`,
      ]);
    }
    expect(settings({ ...devConfig(privateKeyPem), hasuraCorsDomains: "http://localhost:3000,https://*.example.com" }).hasura.corsDomains).toEqual([
      "http://localhost:3000",
      "https://*.example.com",
    ]);
    expect(problems({ ...devConfig(privateKeyPem), kindeAudience: "hasura\u0000" })).toHaveLength(1);
  });

  it("reads the example app's origin (webAppUrl): a default in local signing mode only, https only on production", () => {
    expect(settings(devConfig(privateKeyPem)).webApp).toEqual({ url: "http://127.0.0.1:3000" });
    expect(settings(prodKindeConfig(), "prod").webApp).toEqual({});
    // A Kinde stack off production: no default either, since the URL would land on the team's real application.
    expect(settings({ ...prodKindeConfig(), production: "false" }, "staging").webApp).toEqual({});
    // The form Kinde's SDK sends as redirect_uri: lower case, no trailing slash.
    expect(settings({ ...devConfig(privateKeyPem), webAppUrl: "http://LOCALHOST:5173/" }).webApp.url).toBe("http://localhost:5173");
    expect(settings({ ...prodKindeConfig(), webAppUrl: "https://app.example.com" }, "prod").webApp.url).toBe("https://app.example.com");
    expect(problems({ ...prodKindeConfig(), webAppUrl: "http://app.example.com" }, "prod")).toContain(
      'kinde-hasura:webAppUrl must be an https:// origin on a production stack (production: true), or empty; got "http://app.example.com"',
    );
    for (const bad of ["127.0.0.1:3000", "http://127.0.0.1:3000/app", "https://*.example.com", "http://x\u0007y", "javascript:alert(1)"]) {
      expect(problems({ ...devConfig(privateKeyPem), webAppUrl: bad }), bad).toEqual([
        `kinde-hasura:webAppUrl must be an origin such as http://127.0.0.1:3000 or https://app.example.com (scheme, host, port; no path); got ${JSON.stringify(bad)}`,
      ]);
    }
  });

  it("takes kindeAccessTokenLifetime only as whole seconds up to a day, and only with the front-end and management clients", () => {
    const withClients = {
      ...prodKindeConfig(),
      kindeAppClientId: "spa_client",
      kindeManagementClientId: "mgmt",
      kindeManagementClientSecret: "mgmt-secret",
    };
    expect(settings({ ...withClients, kindeAccessTokenLifetime: "900" }, "prod").webApp.accessTokenLifetime).toBe(900);
    expect(settings({ ...withClients, kindeAccessTokenLifetime: " " }, "prod").webApp.accessTokenLifetime, "blank means unset").toBeUndefined();
    for (const bad of ["59", "86401", "-60", "1e3", "900s"]) {
      expect(problems({ ...withClients, kindeAccessTokenLifetime: bad }, "prod"), bad).toEqual([
        `kinde-hasura:kindeAccessTokenLifetime must be a whole number of seconds from 60 to 86400 (a day), or empty to leave Kinde's setting; got ${JSON.stringify(bad)}`,
      ]);
    }
    expect(problems({ ...prodKindeConfig(), kindeAccessTokenLifetime: "900" }, "prod")).toContain(
      "kinde-hasura:kindeAccessTokenLifetime is set by kinde ensure on the front-end application: set kinde-hasura:kindeAppClientId and kinde-hasura:kindeManagementClientId too, or remove it",
    );
  });

  it("runs the smoke test on up by default except on production stacks, unless told", () => {
    expect(settings(devConfig(privateKeyPem)).smokeOnUp).toBe(true);
    expect(settings(prodKindeConfig(), "prod").smokeOnUp).toBe(false);
    expect(settings({ ...prodKindeConfig(), smokeOnUp: "true" }, "prod").smokeOnUp).toBe(true);
    expect(settings({ ...devConfig(privateKeyPem), smokeOnUp: "false" }).smokeOnUp).toBe(false);
    expect(settings({ ...prodKindeConfig(), smokeOnUp: "auto" }, "prod").smokeOnUp).toBe(false);
    expect(problems({ ...devConfig(privateKeyPem), smokeOnUp: "always" })).toEqual([
      'kinde-hasura:smokeOnUp must be "auto" (on unless production), "true" or "false"; got "always"',
    ]);
  });

  it("takes Kinde automation ids with their secrets in Kinde mode, each pair complete", () => {
    const s = settings(
      {
        ...prodKindeConfig(),
        kindeManagementClientId: "mgmt",
        kindeManagementClientSecret: "m-secret",
        kindeAppClientId: "spa",
        kindeSmokeClientId: "m2m",
        kindeSmokeClientSecret: "s-secret",
      },
      "prod",
    );
    expect(s.kinde).toEqual({
      domain: "acme.kinde.com",
      managementDomain: "acme.kinde.com",
      managementClientId: "mgmt",
      appClientId: "spa",
      smokeClientId: "m2m",
    });
    expect(s.secrets).toMatchObject({ kindeManagementClientSecret: "m-secret", kindeSmokeClientSecret: "s-secret" });
    expect(problems({ ...prodKindeConfig(), kindeManagementClientId: "mgmt", kindeSmokeClientSecret: "s" }, "prod")).toEqual([
      "kinde-hasura:kindeManagementClientSecret is required when kinde-hasura:kindeManagementClientId is set; set it with " +
        "`pulumi config set --secret kinde-hasura:kindeManagementClientSecret <value>`",
      "kinde-hasura:kindeSmokeClientId is required when kinde-hasura:kindeSmokeClientSecret is set",
    ]);
  });

  it("uses the *.kinde.com domain for the management API when users sign in on a custom domain", () => {
    const custom = {
      ...prodKindeConfig(),
      kindeDomain: "auth.acme.com",
      kindeManagementClientId: "mgmt",
      kindeManagementClientSecret: "Management-Client-Secret-0123456789",
    };
    expect(problems(custom, "prod")).toEqual([
      "kinde-hasura:kindeManagementDomain is required when kinde-hasura:kindeDomain is a custom domain (auth.acme.com) and " +
        "a management client is set: Kinde serves the management API on your *.kinde.com domain only; set it to that domain",
    ]);
    const s = settings({ ...custom, kindeManagementDomain: "https://acme.kinde.com/" }, "prod");
    expect(s.kinde).toMatchObject({ domain: "auth.acme.com", managementDomain: "acme.kinde.com" });
    expect(s.jwt.issuer).toBe("https://auth.acme.com");
    expect(problems({ ...custom, kindeManagementDomain: "auth.acme.com" }, "prod")).toEqual([
      'kinde-hasura:kindeManagementDomain must be a Kinde domain such as acme.kinde.com (a *.kinde.com host); got "auth.acme.com"',
    ]);
    // A custom domain without M2M clients needs no management domain.
    expect(settings({ ...prodKindeConfig(), kindeDomain: "auth.acme.com" }, "prod").kinde.managementDomain).toBe("auth.acme.com");
  });

  it("refuses the smoke's M2M client with a custom domain, whose issuer M2M tokens never carry", () => {
    const custom = {
      ...prodKindeConfig(),
      kindeDomain: "auth.acme.com",
      kindeManagementDomain: "acme.kinde.com",
      kindeSmokeClientId: "m2m",
      kindeSmokeClientSecret: "Smoke-Client-Secret-0123456789",
    };
    expect(problems(custom, "prod")).toEqual([
      "kinde-hasura:kindeSmokeClientId cannot be used with a custom kinde-hasura:kindeDomain (auth.acme.com): Kinde issues M2M tokens from your " +
        "*.kinde.com domain, which Hasura (trusting the custom domain as issuer) refuses with JWTNotInIssuer; remove kindeSmokeClientId and " +
        "kindeSmokeClientSecret, and pass a user's access token in SMOKE_TOKEN instead (docs/kinde.md)",
    ]);
    expect(settings({ ...custom, kindeDomain: "acme.kinde.com" }, "prod").kinde.smokeClientId).toBe("m2m");
  });

  it("refuses Kinde automation settings on a local signing stack", () => {
    expect(problems({ ...devConfig(privateKeyPem), kindeAppClientId: "spa" })).toEqual([
      "Kinde automation keys (kinde-hasura:kindeAppClientId) need Kinde mode, but kinde-hasura:kindeDomain is empty; set kindeDomain or remove them",
    ]);
  });

  it("says which stack is wrong in the error message", () => {
    expect(() => settings({ hasuraPort: "x" }, "pr-7")).toThrow(/^Stack "pr-7" has invalid configuration:\n {2}- kinde-hasura:hasuraPort must be/);
  });
});
