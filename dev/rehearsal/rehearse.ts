// A deploy REHEARSAL: `pulumi up` without the Pulumi CLI, Docker or Hasura. The program runs exactly
// as the engine starts it (engine.ts), every local command runs for real, and the containers are
// stand-ins: a real PostgreSQL for Postgres, the Hasura stand-in for Hasura, a JWKS on 127.0.0.1 for
// Kinde. It is a test double of the engine, Docker, Hasura and Kinde: its result is never a deploy.

import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import { join } from "node:path";
import { parse } from "yaml";
import { ConfigError, parseStackSettings, type StackSettings } from "../../core/settings/stack-settings.js";
import { STEPS } from "../../core/steps.js";
import { freePort } from "../../scripts/lib/net/free-port.js";
import type { CaddyStandIn } from "./caddy-standin.js";
import { criticalPath, directWaits, type GraphNode } from "./critical-path.js";
import { type ProgramRun, type Registration, runProgram } from "./engine.js";
import { enginePwdMain, readProjectFile } from "./engine-pwd.js";
import { RehearsalError } from "./errors.js";
import { type KindeKeys, KindeStandIn, newKindeKeys, standInCertificate } from "./kinde-standin.js";
import { StandInProviders, type TimelineEntry } from "./providers.js";
import { RehearsalState } from "./state.js";
import { isSecretEnvelope, maskSecrets, reveal, secretEnvelope } from "./values.js";

export { RehearsalError };

export interface RehearsalOptions {
  projectRoot: string;
  stack: string;
  /** Folder of the rehearsal state (one subfolder per stack). */
  stateRoot: string;
  /** The environment of the shell the rehearsal stands in for. */
  env: NodeJS.ProcessEnv;
  commandTimeoutMs?: number;
  log?: (line: string) => void;
  /**
   * Runs while the rehearsed stack is still up, after a deploy that succeeded, before the stand-ins
   * stop: a browser test drives the stack here. What it throws is rethrown after the clean-up.
   */
  whileUp?: (stack: LiveStack) => Promise<void>;
}

/** A rehearsed stack that is up: its outputs (secrets revealed) and its config as the CLI assembled it. */
export interface LiveStack {
  outputs: Record<string, unknown>;
  /** `<project>:<key>` → value, Pulumi.yaml's defaults under Pulumi.<stack>.yaml. */
  config: Record<string, string>;
}

export interface RehearsalReport {
  ok: boolean;
  stack: string;
  /** The step (logical resource name) that failed, and why (secrets masked). */
  failure?: { step: string; message: string };
  timeline: TimelineEntry[];
  /** The smoke command's own table, when it ran. */
  smokeOutput?: string;
  criticalPath: GraphNode[];
  waits: Array<{ step: string; waitsFor: string[] }>;
  diagnostics: string[];
  outputs: Record<string, unknown>;
  notes: string[];
  /** Resources the program no longer declares, removed from the state. */
  removed: string[];
  /** With a TLS edge: the smoke run through it and what it answers for the metadata API. */
  edge?: EdgeReport;
  /** With scheduled backups: what each backup container's script printed while the rehearsal ran. */
  backups?: Array<{ container: string; log: string }>;
}

export interface EdgeReport {
  url: string;
  smokeOk: boolean;
  smokeOutput: string;
  /** What the edge answered for POST /v1/metadata with the admin secret (404 expected). */
  metadataStatus: number;
}

/**
 * The deployment gate once more, now through the edge (the smoke step's own environment, its endpoint
 * the edge's URL, Caddy's local CA trusted), and the metadata API asked for through it.
 */
async function throughTheEdge(
  edge: CaddyStandIn,
  registrations: Registration[],
  pwd: string,
  providerEnv: NodeJS.ProcessEnv,
  secrets: Set<string>,
  stateDir: string,
): Promise<EdgeReport> {
  const smokeStep = registrations.find((r) => r.type === "command:local:Command" && r.name === "smoke-run");
  const environment = (reveal(smokeStep?.inputs.environment).plain ?? {}) as Record<string, string>;
  // The edge serves /v1/graphql and /healthz only: the schema (run_sql) is read where the gate reads it.
  const direct = environment[STEPS.smoke.env.endpoint.name];
  const env = {
    ...providerEnv,
    ...environment,
    HASURA_GRAPHQL_ENDPOINT: edge.url,
    ...(direct ? { [STEPS.smoke.env.adminEndpoint.name]: direct } : {}),
    NODE_EXTRA_CA_CERTS: providerEnv.NODE_EXTRA_CA_CERTS ? caBundleFile(stateDir, [providerEnv.NODE_EXTRA_CA_CERTS, edge.caFile]) : edge.caFile,
  };
  const smoke = await new Promise<{ ok: boolean; output: string }>((resolve) => {
    const child = spawn("/bin/sh", ["-c", "node --import tsx scripts/smoke.ts --timeout 30"], { cwd: pwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (c: Buffer) => (output += c.toString()));
    child.stderr.on("data", (c: Buffer) => (output += c.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ ok: code === 0, output: maskSecrets(output, secrets) });
    });
  });
  const metadataStatus = await new Promise<number>((resolve) => {
    const req = httpsRequest(
      `${edge.url}/v1/metadata`,
      {
        method: "POST",
        ca: readFileSync(edge.caFile),
        headers: { "content-type": "application/json", "x-hasura-admin-secret": environment.HASURA_GRAPHQL_ADMIN_SECRET ?? "" },
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on("error", () => resolve(0));
    req.setTimeout(10_000, () => req.destroy());
    req.end(JSON.stringify({ type: "export_metadata", version: 2, args: {} }));
  });
  return { url: edge.url, smokeOk: smoke.ok, smokeOutput: smoke.output, metadataStatus };
}

export async function rehearse(o: RehearsalOptions): Promise<RehearsalReport> {
  const startedAt = Date.now();
  const log = o.log ?? (() => {});
  let project: ReturnType<typeof readProjectFile>;
  let pwd: string;
  let main: string;
  try {
    project = readProjectFile(o.projectRoot);
    ({ pwd, main } = enginePwdMain(o.projectRoot, project.main));
  } catch (err) {
    throw new RehearsalError(`Cannot read the project at ${o.projectRoot}: ${(err as Error).message}`);
  }
  const state = new RehearsalState(o.stateRoot, o.stack);
  const unlock = state.lock();
  try {
    return await rehearseLocked(o, { project, pwd, main, state, startedAt, log });
  } finally {
    unlock();
  }
}

async function rehearseLocked(
  o: RehearsalOptions,
  {
    project,
    pwd,
    main,
    state,
    startedAt,
    log,
  }: {
    project: ReturnType<typeof readProjectFile>;
    pwd: string;
    main: string;
    state: RehearsalState;
    startedAt: number;
    log: (line: string) => void;
  },
): Promise<RehearsalReport> {
  const notes: string[] = [];
  const { config, secretKeys } = stackConfig(o.projectRoot, project.name, o.stack, notes);
  // The stack as the program will judge it; an invalid config is left for the program to report.
  let settings: StackSettings | undefined;
  try {
    settings = parseStackSettings((k) => config[`${project.name}:${k}`], { project: project.name, stack: o.stack });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
  }
  if (settings?.production) {
    throw new RehearsalError(
      `Stack ${o.stack} is a production stack: the rehearsal serves Kinde's JWKS over http on 127.0.0.1, which production ` +
        `refuses. Rehearse a non-production stack such as staging.`,
    );
  }
  const secrets = new Set(secretKeys.map((k) => config[k]).filter((v): v is string => Boolean(v)));
  const providerEnv: NodeJS.ProcessEnv = { ...o.env };

  const kinde =
    settings?.jwt.trust.kind === "kinde"
      ? await standInKinde(settings, state, { config, project: project.name, providerEnv, secrets, notes })
      : undefined;

  const providers = new StandInProviders({
    state,
    pwd,
    providerEnv,
    secrets,
    startedAt,
    commandTimeoutMs: o.commandTimeoutMs ?? 300_000,
    ...(kinde ? { trustedCa: kinde.caPem } : {}),
  });
  log(`Rehearsing stack ${o.stack} (program from ${main === "." ? "package.json main" : main}, working directory ${pwd})`);
  let run: ProgramRun;
  let edge: EdgeReport | undefined;
  try {
    run = await runProgram({
      project: project.name,
      stack: o.stack,
      pwd,
      main,
      projectRoot: o.projectRoot,
      typescript: project.typescript,
      config,
      secretKeys,
      secrets,
      env: o.env,
      register: (r) => providers.register(r),
    });
    // With a TLS edge: the smoke once more, through it, and the metadata API refused by it.
    if (run.exitCode === 0 && !run.failure) {
      for (const edgeStandIn of providers.edges.values())
        edge = await throughTheEdge(edgeStandIn, run.registrations, pwd, providerEnv, secrets, state.dir);
      if (o.whileUp) await o.whileUp({ outputs: run.outputs, config });
    }
  } finally {
    await providers.stopAll();
    await kinde?.stop();
  }
  return reportOf(o.stack, run, providers, edge, notes);
}

/**
 * Kinde mode: Kinde's JWKS stood in on 127.0.0.1 (the stack's kindeJwksUrl pointed at it), and a
 * Kinde-shaped user token in SMOKE_TOKEN, what a person would export for the smoke's allowed checks.
 */
async function standInKinde(
  settings: StackSettings,
  state: RehearsalState,
  c: { config: Record<string, string>; project: string; providerEnv: NodeJS.ProcessEnv; secrets: Set<string>; notes: string[] },
): Promise<KindeStandIn> {
  const kinde = await startKinde(state);
  c.config[`${c.project}:kindeJwksUrl`] = kinde.jwksUrl;
  // The steps' Node processes (the JWKS check, the smoke) trust the stand-in's certificate, besides any CA the shell gave.
  c.providerEnv.NODE_EXTRA_CA_CERTS = caBundleFile(state.dir, [c.providerEnv.NODE_EXTRA_CA_CERTS, kinde.caFile]);
  const user = state.standIn<string>("kinde-user") ?? `kp_rehearsal_${randomBytes(6).toString("hex")}`;
  state.setStandIn("kinde-user", user);
  state.save();
  const token = await kinde.userToken(settings.kinde.domain, settings.jwt.audience, settings.jwt.claims, user);
  c.providerEnv.SMOKE_TOKEN = token;
  c.secrets.add(token);
  c.notes.push(
    `Kinde mode: ${settings.kinde.domain}'s JWKS stood in by ${kinde.jwksUrl}; the smoke got a Kinde-shaped token for ${user} in SMOKE_TOKEN.`,
  );
  return kinde;
}

/** The verdict and what the report shows: the first failure, the timeline, the critical path and who waits for whom. */
function reportOf(stack: string, run: ProgramRun, providers: StandInProviders, edge: EdgeReport | undefined, notes: string[]): RehearsalReport {
  const edgeFailure =
    edge && (!edge.smokeOk || edge.metadataStatus !== 404)
      ? {
          step: "edge",
          message: `Through the TLS edge: the smoke ${edge.smokeOk ? "passed" : "failed"}, and /v1/metadata answered ${edge.metadataStatus} (404 expected).\n${edge.smokeOutput}`,
        }
      : undefined;
  const ok = run.exitCode === 0 && !run.failure && !edgeFailure;
  const removed = ok ? providers.forgetUnregistered() : [];
  for (const [name, hasura] of providers.hasuras) {
    if (hasura.jwt?.secret.jwk_url) {
      notes.push(
        `${name}: fetched the JWKS ${hasura.jwt.jwksFetches} time(s); its answer ${hasura.jwt.jwksRefreshes ? "carries" : "carries no"} ` +
          `Cache-Control/Expires, so Hasura ${hasura.jwt.jwksRefreshes ? "refreshes" : "would not refresh"} the keys.`,
      );
    }
  }
  const nodes = graphOf(run.registrations);
  const waits = directWaits(nodes);
  const steps = nodes.filter((n) => n.type === "command:local:Command" || n.type === "docker:index/container:Container");
  return {
    ok,
    stack,
    ...(edge ? { edge } : {}),
    ...(providers.backups.size > 0 ? { backups: [...providers.backups].map(([container, b]) => ({ container, log: b.log })) } : {}),
    ...(ok
      ? {}
      : {
          failure: run.failure ??
            edgeFailure ?? { step: "the program", message: run.diagnostics.join("\n") || `the program exited with code ${run.exitCode}` },
        }),
    timeline: providers.timeline,
    ...smokeOf(providers.timeline),
    criticalPath: criticalPath(nodes),
    waits: steps.map((n) => ({ step: n.name, waitsFor: (waits.get(n.urn) ?? []).map((u) => nodes.find((x) => x.urn === u)?.name ?? u) })),
    diagnostics: run.diagnostics,
    outputs: run.outputs,
    notes,
    removed,
  };
}

/** The Kinde stand-in on the port and with the keys of earlier rehearsals (the keys kept encrypted). */
async function startKinde(state: RehearsalState): Promise<KindeStandIn> {
  const stored = state.standIn<unknown>("kinde-keys");
  const keys = (isSecretEnvelope(stored) ? stored.value : await newKindeKeys()) as KindeKeys;
  state.setStandIn("kinde-keys", secretEnvelope(keys));
  const remembered = state.standIn<number>("kinde-port");
  const certificate = standInCertificate(state.dir);
  let kinde = new KindeStandIn(keys, remembered ?? (await freePort()), certificate);
  await kinde.start().catch(async () => {
    // The port of the last rehearsal is taken now: a new one (Hasura then sees a new JWKS URL).
    kinde = new KindeStandIn(keys, await freePort(), certificate);
    await kinde.start();
  });
  state.setStandIn("kinde-port", kinde.port);
  state.save();
  return kinde;
}

/** The stack's config as the CLI assembles it: Pulumi.yaml defaults, then Pulumi.<stack>.yaml, with its checks. */
function stackConfig(root: string, project: string, stack: string, notes: string[]): { config: Record<string, string>; secretKeys: string[] } {
  const declared = readProjectFile(root).config;
  const full = (k: string) => (k.includes(":") ? k : `${project}:${k}`);
  const config: Record<string, string> = {};
  for (const [k, d] of Object.entries(declared)) if (d.default !== undefined) config[full(k)] = String(d.default);
  const stackPath = join(root, `Pulumi.${stack}.yaml`);
  // `pulumi stack init` would make an empty stack; a rehearsal of a stack nobody configured is almost
  // always a typo (`stagign`), so it is refused.
  if (!existsSync(stackPath)) {
    throw new RehearsalError(`There is no Pulumi.${stack}.yaml in ${root}: rehearse a stack that has one (dev, staging), or check the name`);
  }
  let fromStack: Record<string, unknown>;
  try {
    fromStack = (parse(readFileSync(stackPath, "utf8")) as { config?: Record<string, unknown> } | null)?.config ?? {};
  } catch (err) {
    throw new RehearsalError(`Pulumi.${stack}.yaml is not valid YAML: ${(err as Error).message.split("\n")[0]}`);
  }
  const encrypted: string[] = [];
  const plainSecrets: string[] = [];
  for (const [k, v] of Object.entries(fromStack)) {
    if (v && typeof v === "object" && "secure" in v) encrypted.push(k);
    else {
      config[full(k)] = typeof v === "string" ? v : JSON.stringify(v);
      const name = k.split(":").pop() as string;
      if (declared[name]?.secret && k === full(name)) plainSecrets.push(name);
    }
  }
  if (encrypted.length > 0)
    notes.push(
      `Pulumi.${stack}.yaml holds encrypted values (${encrypted.join(", ")}); the rehearsal cannot read them and leaves them unset, so the program generates its own.`,
    );
  // pulumi/pulumi pkg/workspace validateStackConfigValue: a declared secret must be stored encrypted.
  const problems: string[] = plainSecrets.map((k) => `Stack '${stack}' with configuration key '${k}' must be encrypted as it's secret`);
  for (const [k, d] of Object.entries(declared)) {
    const value = config[full(k)];
    if (d.secret && d.default !== undefined) problems.push(`Stack '${stack}' with configuration key '${k}' must be encrypted as it's secret`);
    if (value === undefined) {
      problems.push(`Stack '${stack}' is missing configuration value '${k}'`);
      continue;
    }
    if (d.type === "integer" && !/^-?\d+$/.test(value)) problems.push(`Stack '${stack}' with configuration key '${k}' must be of type 'integer'`);
    if (d.type === "boolean" && value !== "true" && value !== "false")
      problems.push(`Stack '${stack}' with configuration key '${k}' must be of type 'boolean'`);
  }
  if (problems.length > 0) throw new RehearsalError(problems.join("\n"));

  // The program generates the credentials a stack leaves unset (infra/credentials.ts), as on a fresh
  // clone: the rehearsal adds none.
  const secretKeys = encrypted.map(full);
  return { config, secretKeys };
}

function graphOf(registrations: Registration[]): GraphNode[] {
  return registrations.filter((r) => r.custom).map((r) => ({ urn: r.urn, name: r.name, type: r.type, dependencies: r.dependencies }));
}

function smokeOf(timeline: TimelineEntry[]): { smokeOutput?: string } {
  const smoke = timeline.find((t) => t.name === "smoke-run" && t.output !== undefined);
  return smoke?.output !== undefined ? { smokeOutput: smoke.output } : {};
}

/** One file of PEM certificates in `dir` for NODE_EXTRA_CA_CERTS, which names a single file. */
function caBundleFile(dir: string, files: Array<string | undefined>): string {
  const present = files.filter((f): f is string => Boolean(f) && existsSync(f as string));
  const bundle = join(dir, `ca-bundle-${createHash("sha256").update(present.join("\0")).digest("hex").slice(0, 12)}.pem`);
  writeFileSync(bundle, `${present.map((f) => readFileSync(f, "utf8").trim()).join("\n")}\n`);
  return bundle;
}
