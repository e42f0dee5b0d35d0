// The rehearsal's STAND-INS for the provider plugins (docker, postgresql, command): each resource is
// diffed against the rehearsal state the way the engine decides (create / same / update / replace)
// and then carried out on this machine — containers by stand-ins (a real PostgreSQL, the Hasura
// stand-in), postgresql resources by the SQL that provider issues, local commands for real.
import { spawn } from "node:child_process";
import { createHash, generateKeyPairSync, randomInt, randomUUID } from "node:crypto";
import { rmSync } from "node:fs";
import { join, resolve } from "node:path";
import pg from "pg";
import { freePort, portIsFree } from "../../scripts/lib/net/free-port.js";
import { BackupStandIn } from "./backup-standin.js";
import { CaddyStandIn } from "./caddy-standin.js";
import type { ProviderResult, Registration } from "./engine.js";
import { HasuraStandIn, StandInStartError } from "./hasura-standin/server.js";
import { PostgresStandIn } from "./postgres-standin.js";
import type { RehearsalState } from "./state.js";
import { maskSecrets, reveal, secretEnvelope } from "./values.js";

export type Operation = "create" | "same" | "update" | "replace";

export interface TimelineEntry {
  urn: string;
  name: string;
  type: string;
  operation: Operation;
  /** ms since the rehearsal started */
  start: number;
  ms: number;
  ok: boolean;
  /** A command's output (secrets masked), for the report. */
  output?: string;
}

export interface StandInContext {
  state: RehearsalState;
  /** The provider plugins' working directory: the engine's pwd. */
  pwd: string;
  /** The environment the provider plugins inherit (the shell's, plus what the rehearsal adds). */
  providerEnv: NodeJS.ProcessEnv;
  secrets: Set<string>;
  startedAt: number;
  /** Longest a local command may run. */
  commandTimeoutMs: number;
  /** A CA the Hasura stand-ins trust for their JWKS (the Kinde stand-in's certificate). */
  trustedCa?: string;
}

/** Inputs whose change replaces the resource rather than updating it (from each provider's schema). */
const REPLACE_ON: Record<string, "all" | string[]> = {
  "docker:index/container:Container": "all",
  "docker:index/network:Network": "all",
  "docker:index/volume:Volume": ["name", "driver", "driverOpts", "labels"],
  "docker:index/remoteImage:RemoteImage": ["name", "platform", "pullTriggers", "triggers"],
  // @pulumi/command hard-codes replaceOnChanges: ["triggers[*]"].
  "command:local:Command": ["triggers"],
  "postgresql:index/grant:Grant": ["database", "objectType", "role", "schema", "objects", "columns", "withGrantOption"],
  "postgresql:index/extension:Extension": [],
  "postgresql:index/schema:Schema": [],
  "postgresql:index/role:Role": [],
  // Every input of these two forces a new value (their providers' schemas).
  "random:index/randomPassword:RandomPassword": "all",
  "tls:index/privateKey:PrivateKey": "all",
};

export class StandInProviders {
  readonly timeline: TimelineEntry[] = [];
  private readonly images = new Map<string, string>();
  private readonly dns = new Map<string, { host: string; port: number }>();
  private readonly providers = new Map<string, Record<string, unknown>>();
  private readonly running: Array<{ stop(): Promise<void> }> = [];
  readonly registered = new Set<string>();
  /** The Hasura stand-ins started, by container name (the report reads their JWKS facts). */
  readonly hasuras = new Map<string, HasuraStandIn>();
  /** The TLS edge stand-ins started, by container name. */
  readonly edges = new Map<string, CaddyStandIn>();
  readonly backups = new Map<string, BackupStandIn>();

  constructor(private readonly ctx: StandInContext) {}

  async register(r: Registration): Promise<ProviderResult> {
    this.registered.add(r.urn);
    const { plain } = reveal(r.inputs);
    const inputs = plain as Record<string, unknown>;
    if (r.type.startsWith("pulumi:providers:")) this.providers.set(r.urn, inputs);
    const old = this.ctx.state.resource(r.urn);
    const digests = Object.fromEntries(Object.entries(r.inputs).map(([k, v]) => [k, this.ctx.state.digest(v)]));
    const operation = decide(r.type, old?.inputDigests, digests);
    const started = Date.now();
    const entry: TimelineEntry = { urn: r.urn, name: r.name, type: r.type, operation, start: started - this.ctx.startedAt, ms: 0, ok: false };
    this.timeline.push(entry);
    try {
      const oldOutputs = (old ? reveal(old.outputs).plain : undefined) as Record<string, unknown> | undefined;
      const result = await this.apply(r, inputs, operation, oldOutputs, old?.id, entry);
      entry.ok = true;
      // Secret inputs stay secret in the stored outputs (they are encrypted there).
      const outputs = { ...r.inputs, ...result.outputs };
      this.ctx.state.setResource(r.urn, { type: r.type, id: result.id, inputDigests: digests, outputs: markSecret(outputs, r) });
      this.ctx.state.save();
      return result;
    } finally {
      entry.ms = Date.now() - started;
    }
  }

  /** Stops every stand-in this rehearsal started. */
  async stopAll(): Promise<void> {
    for (const s of this.running.reverse()) await s.stop().catch(() => undefined);
  }

  private async apply(
    r: Registration,
    inputs: Record<string, unknown>,
    operation: Operation,
    oldOutputs: Record<string, unknown> | undefined,
    oldId: string | undefined,
    entry: TimelineEntry,
  ): Promise<ProviderResult> {
    const id = operation === "create" || operation === "replace" || !oldId ? randomUUID() : oldId;
    if (r.type.startsWith("pulumi:providers:")) return { id };
    switch (r.type) {
      case "docker:index/network:Network":
        return { id: String(inputs.name ?? id) };
      case "docker:index/volume:Volume":
        return { id: String(inputs.name), outputs: { mountpoint: this.volumeDir(String(inputs.name)) } };
      case "docker:index/remoteImage:RemoteImage": {
        // A stand-in image id, stable per reference, so a container sees the same image every rehearsal.
        const imageId = `sha256:${createHash("sha256").update(String(inputs.name)).digest("hex")}`;
        this.images.set(imageId, String(inputs.name));
        return { id: imageId, outputs: { imageId, repoDigest: `${String(inputs.name).split("@")[0]}@${imageId}` } };
      }
      case "docker:index/container:Container":
        return { id, outputs: await this.container(inputs, oldOutputs) };
      case "postgresql:index/role:Role":
      case "postgresql:index/schema:Schema":
      case "postgresql:index/extension:Extension":
      case "postgresql:index/grant:Grant":
        if (operation !== "same") await this.postgresql(r, inputs);
        return { id: postgresqlId(r.type, inputs) };
      case "random:index/randomPassword:RandomPassword": {
        const result = operation === "same" || operation === "update" ? String(oldOutputs?.result ?? "") : randomPassword(inputs);
        this.ctx.secrets.add(result);
        return { id: "none", outputs: { result, bcryptHash: "" } };
      }
      case "tls:index/privateKey:PrivateKey": {
        const keys =
          operation === "same" && oldOutputs?.privateKeyPemPkcs8
            ? pick(oldOutputs, ["privateKeyPem", "privateKeyPemPkcs8", "publicKeyPem"])
            : rsaKey(Number(inputs.rsaBits ?? 2048));
        this.ctx.secrets.add(String(keys.privateKeyPemPkcs8));
        return { id: createHash("sha1").update(String(keys.publicKeyPem)).digest("hex"), outputs: keys };
      }
      case "command:local:Command": {
        if (operation === "same") return { id, outputs: { stdout: oldOutputs?.stdout ?? "", stderr: oldOutputs?.stderr ?? "" } };
        const command = String((operation === "update" && inputs.update) || inputs.create || "");
        const out = command ? await this.runCommand(command, inputs) : { stdout: "", stderr: "" };
        entry.output = maskSecrets(`${out.stdout}${out.stderr}`, this.ctx.secrets);
        return { id, outputs: out };
      }
      default:
        throw new Error(`the rehearsal has no stand-in for ${r.type}; it cannot rehearse a stack that uses it`);
    }
  }

  private volumeDir(name: string): string {
    return join(this.ctx.state.dir, "volumes", name.replace(/[^A-Za-z0-9_.-]/g, "_"));
  }

  /** Starts the container's stand-in on a 127.0.0.1 port of the rehearsal's choosing, kept between rehearsals. */
  private async container(inputs: Record<string, unknown>, oldOutputs: Record<string, unknown> | undefined): Promise<Record<string, unknown>> {
    const name = String(inputs.name);
    const image = this.images.get(String(inputs.image)) ?? "";
    const env = (inputs.envs as string[] | undefined) ?? [];
    const requested = (inputs.ports as Array<Record<string, unknown>> | undefined) ?? [];
    const remembered =
      this.ctx.state.standIn<number>(`port:${name}`) ?? (oldOutputs?.ports as Array<{ external?: number }> | undefined)?.[0]?.external;
    const port = remembered !== undefined && (await portIsFree(remembered)) ? remembered : await freePort();
    this.ctx.state.setStandIn(`port:${name}`, port);
    const internal = Number(requested[0]?.internal ?? 0);
    const repository = imageRepository(image);
    let standIn: { start(): Promise<void>; stop(): Promise<void> };
    const command = inputs.command as string[] | undefined;
    if (repository === "postgres" && command && command.length > 0) {
      // The stack's Postgres image running another command: the backup container.
      const mounts = (inputs.volumes as Array<{ volumeName?: string; hostPath?: string; containerPath?: string }> | undefined) ?? [];
      const volume = mounts.find((v) => v.containerPath === "/backups" && v.volumeName)?.volumeName;
      if (!volume)
        throw new Error(
          `container ${name} runs a command in the Postgres image without a /backups volume; the rehearsal stands in only for the backup container`,
        );
      const hostPath = mounts.find((v) => v.containerPath === "/host-copy" && v.hostPath)?.hostPath;
      const backup = new BackupStandIn({
        command,
        env,
        volumeDir: this.volumeDir(volume),
        ...(hostPath ? { hostCopyDir: join(this.ctx.state.dir, "host", hostPath) } : {}),
        resolve: (host, p) => this.dns.get(`${host}:${p}`),
      });
      this.backups.set(name, backup);
      standIn = backup;
    } else if (repository === "postgres") {
      const volume = (inputs.volumes as Array<{ volumeName?: string }> | undefined)?.find((v) => v.volumeName)?.volumeName;
      standIn = new PostgresStandIn({ env, volumeDir: volume ? this.volumeDir(volume) : undefined, port });
    } else if (repository === "hasura/graphql-engine") {
      const hasura = new HasuraStandIn({
        env,
        port,
        resolve: (host, p) => this.dns.get(`${host}:${p}`),
        ...(this.ctx.trustedCa ? { trustedCa: this.ctx.trustedCa } : {}),
      });
      this.hasuras.set(name, hasura);
      standIn = hasura;
    } else if (repository === "caddy") {
      const uploaded =
        ((inputs.uploads as Array<{ file?: string; content?: string }> | undefined) ?? []).find((u) => u.file === "/etc/caddy/Caddyfile")?.content ??
        "";
      const caddy = new CaddyStandIn({
        uploaded,
        port,
        dataDir: join(this.ctx.state.dir, "edge"),
        resolve: (host, p) => this.dns.get(`${host}:${p}`),
      });
      this.edges.set(name, caddy);
      standIn = caddy;
    } else {
      throw new Error(`the rehearsal has no stand-in for image ${image || String(inputs.image)}`);
    }
    try {
      await standIn.start();
    } catch (err) {
      await standIn.stop().catch(() => undefined);
      const reason = err instanceof StandInStartError ? err.message : (err as Error).message;
      throw new Error(`container ${name} did not become healthy (wait: true): ${reason}`);
    }
    this.running.push(standIn);
    // Docker's DNS on the stack network: the container name and its aliases answer on the internal port.
    const aliases = ((inputs.networksAdvanced as Array<{ aliases?: string[] }> | undefined) ?? []).flatMap((n) => n.aliases ?? []);
    for (const host of [name, ...aliases]) this.dns.set(`${host}:${internal}`, { host: "127.0.0.1", port });
    return {
      ports: requested.map((p, i) => ({ ...p, external: i === 0 ? port : p.external, ip: p.ip ?? "0.0.0.0", protocol: p.protocol ?? "tcp" })),
    };
  }

  /** The statements cyrilgdn/terraform-provider-postgresql issues for these resources, as the provider's user. */
  private async postgresql(r: Registration, inputs: Record<string, unknown>): Promise<void> {
    const providerUrn = r.providerRef.split("::").slice(0, -1).join("::");
    const provider = this.providers.get(providerUrn);
    if (!provider) throw new Error(`${r.name}: no explicit postgresql provider (the rehearsal, like pulumi:disable-default-providers, needs one)`);
    const client = new pg.Client({
      host: String(provider.host),
      port: Number(provider.port),
      user: String(provider.username ?? "postgres"),
      password: String(provider.password ?? ""),
      database: String(inputs.database ?? provider.database ?? "postgres"),
      connectionTimeoutMillis: Number(provider.connectTimeout ?? 180) * 1000,
    });
    await client.connect();
    const ident = (s: unknown) => `"${String(s).replace(/"/g, '""')}"`;
    const literal = (s: unknown) => `'${String(s).replace(/'/g, "''")}'`;
    try {
      if (r.type === "postgresql:index/role:Role") {
        const exists = (await client.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [inputs.name])).rowCount === 1;
        const flags = [
          inputs.login ? "LOGIN" : "NOLOGIN",
          inputs.superuser ? "SUPERUSER" : "NOSUPERUSER",
          inputs.createDatabase ? "CREATEDB" : "NOCREATEDB",
          inputs.createRole ? "CREATEROLE" : "NOCREATEROLE",
          inputs.inherit === false ? "NOINHERIT" : "INHERIT",
          ...(inputs.password !== undefined ? [`PASSWORD ${literal(inputs.password)}`] : []),
        ].join(" ");
        await client.query(`${exists ? "ALTER" : "CREATE"} ROLE ${ident(inputs.name)} WITH ${flags}`);
      } else if (r.type === "postgresql:index/schema:Schema") {
        await client.query(`CREATE SCHEMA IF NOT EXISTS ${ident(inputs.name)}${inputs.owner ? ` AUTHORIZATION ${ident(inputs.owner)}` : ""}`);
        if (inputs.owner) await client.query(`ALTER SCHEMA ${ident(inputs.name)} OWNER TO ${ident(inputs.owner)}`);
      } else if (r.type === "postgresql:index/extension:Extension") {
        await client.query(`CREATE EXTENSION IF NOT EXISTS ${ident(inputs.name)}${inputs.schema ? ` SCHEMA ${ident(inputs.schema)}` : ""}`);
      } else {
        // The provider's grant is authoritative: it revokes what was there, then grants the list.
        const privileges = (inputs.privileges as string[]).join(", ");
        const on =
          inputs.objectType === "database"
            ? `DATABASE ${ident(inputs.database)}`
            : inputs.objectType === "schema"
              ? `SCHEMA ${ident(inputs.schema)}`
              : undefined;
        if (!on) throw new Error(`${r.name}: the rehearsal grants on databases and schemas only, not ${String(inputs.objectType)}`);
        await client.query(`REVOKE ALL ON ${on} FROM ${ident(inputs.role)}`);
        await client.query(`GRANT ${privileges} ON ${on} TO ${ident(inputs.role)}`);
      }
    } finally {
      await client.end();
    }
  }

  /** pulumi-command's local run: `/bin/sh -c`, the provider's directory, its environment plus `environment`. */
  private runCommand(command: string, inputs: Record<string, unknown>): Promise<{ stdout: string; stderr: string }> {
    const interpreter = (inputs.interpreter as string[] | undefined) ?? ["/bin/sh", "-c"];
    const cwd = typeof inputs.dir === "string" ? resolve(this.ctx.pwd, inputs.dir) : this.ctx.pwd;
    const env = { ...this.ctx.providerEnv, ...((inputs.environment as Record<string, string> | undefined) ?? {}) };
    return new Promise((resolvePromise, reject) => {
      const child = spawn(interpreter[0] as string, [...interpreter.slice(1), command], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      let combined = "";
      child.stdout.on("data", (c: Buffer) => {
        stdout += c.toString();
        combined += c.toString();
      });
      child.stderr.on("data", (c: Buffer) => {
        stderr += c.toString();
        combined += c.toString();
      });
      const timer = setTimeout(() => child.kill("SIGKILL"), this.ctx.commandTimeoutMs);
      child.on("error", (err) => reject(new Error(`${err.message}: running ${JSON.stringify(command)}`)));
      child.on("close", (code, signal) => {
        clearTimeout(timer);
        if (code === 0) return resolvePromise({ stdout, stderr });
        const status = signal ? `signal: ${signal === "SIGKILL" ? "killed (over the rehearsal's command timeout)" : signal}` : `exit status ${code}`;
        // pulumi-command's error: fmt.Errorf("%w: running %q:\n%s", err, command, output).
        reject(new Error(maskSecrets(`${status}: running ${JSON.stringify(command)}:\n${combined}`, this.ctx.secrets)));
      });
    });
  }

  /** Resources the program no longer declares: gone from the state (their stand-ins were never started). */
  forgetUnregistered(): string[] {
    const gone = this.ctx.state.resourceUrns().filter((urn) => !this.registered.has(urn));
    for (const urn of gone) {
      const record = this.ctx.state.resource(urn);
      if (record?.type === "docker:index/volume:Volume") rmSync(this.volumeDir(record.id), { recursive: true, force: true });
      this.ctx.state.deleteResource(urn);
    }
    this.ctx.state.save();
    return gone;
  }
}

/** What random.RandomPassword returns: `length` characters from the enabled classes, each class's minimum met. */
function randomPassword(inputs: Record<string, unknown>): string {
  const classes = [
    { on: inputs.lower !== false, chars: "abcdefghijklmnopqrstuvwxyz", min: Number(inputs.minLower ?? 0) },
    { on: inputs.upper !== false, chars: "ABCDEFGHIJKLMNOPQRSTUVWXYZ", min: Number(inputs.minUpper ?? 0) },
    { on: inputs.numeric !== false, chars: "0123456789", min: Number(inputs.minNumeric ?? 0) },
    { on: inputs.special !== false, chars: String(inputs.overrideSpecial ?? "!@#$%&*()-_=+[]{}<>:?"), min: Number(inputs.minSpecial ?? 0) },
  ].filter((c) => c.on);
  const pickFrom = (chars: string) => chars[randomInt(chars.length)] as string;
  const out = classes.flatMap((c) => Array.from({ length: c.min }, () => pickFrom(c.chars)));
  const all = classes.map((c) => c.chars).join("");
  while (out.length < Number(inputs.length)) out.push(pickFrom(all));
  for (let i = out.length - 1; i > 0; i -= 1) {
    const j = randomInt(i + 1);
    [out[i], out[j]] = [out[j] as string, out[i] as string];
  }
  return out.join("");
}

function rsaKey(bits: number): Record<string, string> {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: bits });
  return {
    privateKeyPem: privateKey.export({ type: "pkcs1", format: "pem" }).toString(),
    privateKeyPemPkcs8: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString(),
  };
}

function pick(o: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((k) => [k, o[k]]));
}

function decide(type: string, old: Record<string, string> | undefined, now: Record<string, string>): Operation {
  if (!old) return "create";
  const changed = [...new Set([...Object.keys(old), ...Object.keys(now)])].filter((k) => old[k] !== now[k]);
  if (changed.length === 0) return "same";
  const replaceOn = REPLACE_ON[type] ?? "all";
  return replaceOn === "all" || changed.some((k) => replaceOn.includes(k)) ? "replace" : "update";
}

function postgresqlId(type: string, inputs: Record<string, unknown>): string {
  return [type.split(":").pop(), inputs.database, inputs.schema, inputs.name ?? inputs.role, inputs.objectType].filter(Boolean).join("_");
}

/** `hasura/graphql-engine` from `registry:5000/hasura/graphql-engine:v2.48.16@sha256:…`. */
export function imageRepository(reference: string): string {
  const withoutDigest = reference.split("@")[0] ?? "";
  const lastSlash = withoutDigest.lastIndexOf("/");
  const colon = withoutDigest.lastIndexOf(":");
  const withoutTag = colon > lastSlash ? withoutDigest.slice(0, colon) : withoutDigest;
  const parts = withoutTag.split("/");
  // A first part with a dot or a port, or `localhost`, names a registry.
  if (parts.length > 1 && /[.:]|^localhost$/.test(parts[0] as string)) parts.shift();
  if (parts[0] === "library") parts.shift();
  return parts.join("/");
}

function markSecret(outputs: Record<string, unknown>, r: Registration): Record<string, unknown> {
  const wrapped = { ...outputs };
  for (const key of r.additionalSecretOutputs) if (key in wrapped) wrapped[key] = secretEnvelope(reveal(wrapped[key]).plain);
  return wrapped;
}
