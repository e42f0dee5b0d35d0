// The rehearsal's stand-in for Kinde, for Kinde-mode stacks: a JWKS on 127.0.0.1 (Kinde cannot be
// reached from a rehearsal) and access tokens shaped as Kinde issues them for a signed-in user
// (iss https://<domain>, aud [audience], sub kp_…, and the Hasura claims the hasuraUserClaims
// workflow adds), signed with the key that JWKS publishes. Its URL means nothing inside a real
// container: a real stack trusts Kinde's own JWKS. It serves https, as the stack's kindeJwksUrl rule
// demands of every JWKS, with a certificate of its own for 127.0.0.1 (made by Debian's openssl) that
// the rehearsal trusts: the Hasura stand-in by `trustedCa`, the steps' Node by NODE_EXTRA_CA_CERTS.
import { execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import { join } from "node:path";
import { exportJWK, generateKeyPair, importJWK, type JWK, SignJWT } from "jose";
import { type ClaimsMode, userTokenClaims } from "../../core/jwt-policy.js";
import { RehearsalError } from "./errors.js";

export interface KindeKeys {
  /** The private JWK (kept encrypted in the rehearsal state). */
  privateJwk: JWK;
  kid: string;
}

export async function newKindeKeys(): Promise<KindeKeys> {
  const { privateKey } = await generateKeyPair("RS256", { extractable: true });
  const kid = `rehearsal-${Date.now().toString(36)}`;
  return { privateJwk: { ...(await exportJWK(privateKey)), kid, alg: "RS256", use: "sig" }, kid };
}

/** The stand-in's TLS certificate for 127.0.0.1, made once per state folder and kept there. */
export interface StandInCertificate {
  keyFile: string;
  /** The certificate, self-signed: it is its own CA. */
  certFile: string;
}

/** A certificate with less than this left is made again (it is trusted anew on every rehearsal). */
const RENEW_WITHIN_MS = 24 * 3600 * 1000;

export function standInCertificate(dir: string): StandInCertificate {
  const folder = join(dir, "kinde-tls");
  const keyFile = join(folder, "key.pem");
  const certFile = join(folder, "cert.pem");
  if (existsSync(keyFile) && existsSync(certFile) && !expiresSoon(certFile)) return { keyFile, certFile };
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  // A P-256 key, 30 days, for the one address it serves.
  const args = ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", keyFile, "-out", certFile];
  args.push("-days", "30", "-subj", "/CN=kinde-hasura rehearsal Kinde stand-in", "-addext", "subjectAltName=IP:127.0.0.1");
  try {
    execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
  } catch (err) {
    const e = err as { code?: string; stderr?: Buffer };
    throw new RehearsalError(
      e.code === "ENOENT"
        ? "The rehearsal's Kinde stand-in needs openssl to make its https certificate: install it (apt-get install openssl)"
        : `openssl could not make the Kinde stand-in's certificate in ${folder}: ${String(e.stderr ?? "")
            .trim()
            .slice(0, 300)}`,
    );
  }
  return { keyFile, certFile };
}

function expiresSoon(certFile: string): boolean {
  try {
    return Date.parse(new X509Certificate(readFileSync(certFile)).validTo) - Date.now() < RENEW_WITHIN_MS;
  } catch {
    return true;
  }
}

export class KindeStandIn {
  private server: Server | undefined;

  constructor(
    private readonly keys: KindeKeys,
    readonly port: number,
    private readonly certificate: StandInCertificate,
  ) {}

  get jwksUrl(): string {
    return `https://127.0.0.1:${this.port}/.well-known/jwks`;
  }

  /** The PEM to trust for jwksUrl. */
  get caPem(): string {
    return readFileSync(this.certificate.certFile, "utf8");
  }

  get caFile(): string {
    return this.certificate.certFile;
  }

  async start(): Promise<void> {
    const { d, p, q, dp, dq, qi, ...publicJwk } = this.keys.privateJwk;
    void [d, p, q, dp, dq, qi];
    const tls = { key: readFileSync(this.certificate.keyFile), cert: readFileSync(this.certificate.certFile) };
    this.server = createServer(tls, (req, res) => {
      if (req.url === "/.well-known/jwks") {
        // Kinde's own answer headers are UNVERIFIED (see docs/kinde.md, Kinde's keys): this one sends none,
        // so Hasura would keep the keys until restart, the cautious assumption.
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ keys: [publicJwk] }));
        return;
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve, reject) => {
      this.server?.once("error", reject);
      this.server?.listen(this.port, "127.0.0.1", () => resolve());
    });
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** A user access token as Kinde would issue it for this stack's audience. */
  async userToken(domain: string, audience: string, claims: ClaimsMode, userId: string): Promise<string> {
    const key = await importJWK(this.keys.privateJwk, "RS256");
    const body = userTokenClaims(claims, userId);
    return new SignJWT({ ...body, azp: "rehearsal-app", scp: [] })
      .setProtectedHeader({ alg: "RS256", kid: this.keys.kid, typ: "JWT" })
      .setIssuer(`https://${domain}`)
      .setAudience([audience])
      .setSubject(userId)
      .setIssuedAt()
      .setExpirationTime("1h")
      .sign(key);
  }
}
