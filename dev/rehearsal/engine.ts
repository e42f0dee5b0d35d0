// The rehearsal's STAND-IN for the Pulumi engine: an in-process resource monitor and engine service
// on 127.0.0.1 (Pulumi's own gRPC protocol, the SDK's own proto modules), and the program started
// exactly as the engine starts it: Pulumi's language-host entry `cmd/run`, in the working directory
// and with the entry point of getPwdMain (engine-pwd.ts), config in PULUMI_CONFIG. Each resource is
// answered only after its stand-in provider finished, as the engine answers RegisterResource after
// the step ran; the SDK sends a resource only once everything it depends on was answered, so the
// order of the steps is the program's own.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { maskSecrets, reveal, secretEnvelope } from "./values.js";

const sdkRoot = dirname(createRequire(import.meta.url).resolve("@pulumi/pulumi/package.json"));
const fromSdk = createRequire(join(sdkRoot, "package.json"));
/* eslint-disable @typescript-eslint/no-explicit-any -- the SDK's generated gRPC modules carry no usable types here. */
const grpc = fromSdk("@grpc/grpc-js") as any;
const structpb = fromSdk("google-protobuf/google/protobuf/struct_pb") as any;
const emptypb = fromSdk("google-protobuf/google/protobuf/empty_pb") as any;
const resgrpc = fromSdk("./proto/resource_grpc_pb.js") as any;
const respb = fromSdk("./proto/resource_pb.js") as any;
const enggrpc = fromSdk("./proto/engine_grpc_pb.js") as any;
const engpb = fromSdk("./proto/engine_pb.js") as any;
const rpc = fromSdk("./runtime/rpc.js") as any;

/** One resource as the program registered it. */
export interface Registration {
  urn: string;
  type: string;
  name: string;
  custom: boolean;
  parent: string;
  /** Inputs with secrets still in their envelopes. */
  inputs: Record<string, unknown>;
  /** URNs this resource waits for: dependsOn, inputs from other resources, its provider. */
  dependencies: string[];
  /** `urn::id` of an explicit provider, or "". */
  providerRef: string;
  additionalSecretOutputs: string[];
}

/** What a stand-in provider returns for a custom resource. */
export interface ProviderResult {
  id: string;
  /** Outputs beyond the inputs (which are echoed back, as providers do). */
  outputs?: Record<string, unknown>;
}

export type RegisterHandler = (r: Registration) => Promise<ProviderResult>;

export interface ProgramRun {
  exitCode: number;
  /** Diagnostics the program logged (warnings and errors), secrets masked. */
  diagnostics: string[];
  registrations: Registration[];
  outputs: Record<string, unknown>;
  /** The first step that failed, with its error as the engine reports it (secrets masked). */
  failure?: { step: string; message: string };
}

export interface StartProgramOptions {
  project: string;
  stack: string;
  pwd: string;
  main: string;
  projectRoot: string;
  typescript: boolean;
  config: Record<string, string>;
  secretKeys: string[];
  /** Strings never to print. */
  secrets: Set<string>;
  register: RegisterHandler;
  /** The environment the CLI would hand the language host (the shell's). */
  env: NodeJS.ProcessEnv;
}

/** What the stand-in engine learns while the program runs. */
class EngineState {
  readonly registrations: Registration[] = [];
  readonly diagnostics: string[] = [];
  stackOutputs: Record<string, unknown> = {};
  rootUrn = "";
  failure: { step: string; message: string } | undefined;
  private readonly qualifiedTypes = new Map<string, string>();

  constructor(
    private readonly project: string,
    private readonly stack: string,
  ) {}

  urnOf(parent: string, type: string, name: string): string {
    // The engine qualifies a child's type with its parent's, except under the stack itself.
    const parentType = parent ? this.qualifiedTypes.get(parent) : undefined;
    const qualified = parentType && parentType !== "pulumi:pulumi:Stack" ? `${parentType}$${type}` : type;
    const urn = `urn:pulumi:${this.stack}::${this.project}::${qualified}::${name}`;
    this.qualifiedTypes.set(urn, qualified);
    return urn;
  }
}

type GrpcHandler = (call: any, cb: (err: unknown, res?: unknown) => void) => void;

/** Every method of a gRPC service answering UNIMPLEMENTED, for the few the rehearsal implements to replace. */
function unimplemented(service: Record<string, unknown>): Record<string, GrpcHandler> {
  const handlers: Record<string, GrpcHandler> = {};
  for (const method of Object.keys(service)) {
    handlers[method] = (_call, cb) => cb({ code: grpc.status.UNIMPLEMENTED, details: `the rehearsal's engine does not implement ${method}` });
  }
  return handlers;
}

/** The resource monitor: records each registration and has a stand-in provider carry out custom resources. */
function resourceMonitor(state: EngineState, o: StartProgramOptions): Record<string, GrpcHandler> {
  const monitor = unimplemented(resgrpc.ResourceMonitorService);
  monitor.supportsFeature = (call, cb) => {
    const r = new respb.SupportsFeatureResponse();
    r.setHassupport(["secrets", "resourceReferences", "deletedWith", "aliasSpecs"].includes(call.request.getId()));
    cb(null, r);
  };
  monitor.registerResourceOutputs = (call, cb) => {
    if (call.request.getUrn() === state.rootUrn)
      state.stackOutputs = reveal(rpc.deserializeProperties(call.request.getOutputs(), true)).plain as Record<string, unknown>;
    cb(null, new emptypb.Empty());
  };
  monitor.registerResource = (call, cb) => {
    const registration = registrationOf(state, call.request);
    state.registrations.push(registration);
    const answer = async () => {
      if (!registration.custom) return { id: "", object: {} };
      const result = await o.register(registration);
      const object: Record<string, unknown> = { ...registration.inputs, ...result.outputs };
      for (const key of registration.additionalSecretOutputs) if (key in object) object[key] = secretEnvelope(reveal(object[key]).plain);
      return { id: result.id, object };
    };
    // Once a step failed the engine cancels the update: it reports the step's error itself and answers
    // the program's pending and later registrations UNAVAILABLE, on which the SDK stops quietly
    // ("Resource monitor is terminating"; pulumi/pulumi pkg/resource/deploy/source_eval.go).
    const shutDown = () => cb({ code: grpc.status.UNAVAILABLE, details: "resource monitor shut down while waiting on step's done channel" });
    if (state.failure) return shutDown();
    answer().then(
      ({ id, object }) => {
        if (state.failure) return shutDown();
        const res = new respb.RegisterResourceResponse();
        res.setUrn(registration.urn);
        res.setId(id);
        res.setObject(structpb.Struct.fromJavaScript(object));
        cb(null, res);
      },
      (err: Error) => {
        state.failure ??= { step: registration.name, message: maskSecrets(err.message, o.secrets) };
        shutDown();
      },
    );
  };
  return monitor;
}

/** A RegisterResourceRequest as a Registration: its URN, inputs and every dependency (explicit, property, provider). */
function registrationOf(state: EngineState, req: any): Registration {
  const propertyDeps: string[] = [];
  req.getPropertydependenciesMap().forEach((deps: { getUrnsList(): string[] }) => {
    propertyDeps.push(...deps.getUrnsList());
  });
  const providerRef: string = req.getProvider();
  return {
    urn: state.urnOf(req.getParent(), req.getType(), req.getName()),
    type: req.getType(),
    name: req.getName(),
    custom: req.getCustom(),
    parent: req.getParent(),
    inputs: rpc.deserializeProperties(req.getObject(), true) as Record<string, unknown>,
    dependencies: [
      ...new Set([...req.getDependenciesList(), ...propertyDeps, ...(providerRef ? [providerRef.split("::").slice(0, -1).join("::")] : [])]),
    ],
    providerRef,
    additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
  };
}

/** The engine service: the program's log lines (warnings and errors kept, masked) and its root resource. */
function engineService(state: EngineState, o: StartProgramOptions): Record<string, GrpcHandler> {
  const engine = unimplemented(enggrpc.EngineService);
  engine.log = (call, cb) => {
    const severity = ["debug", "info", "warning", "error"][call.request.getSeverity()] ?? "info";
    if (severity === "warning" || severity === "error")
      state.diagnostics.push(`${severity}: ${maskSecrets(call.request.getMessage(), o.secrets).trim()}`);
    cb(null, new emptypb.Empty());
  };
  engine.getRootResource = (_call, cb) => {
    const r = new engpb.GetRootResourceResponse();
    r.setUrn(state.rootUrn);
    cb(null, r);
  };
  engine.setRootResource = (call, cb) => {
    state.rootUrn = call.request.getUrn();
    cb(null, new engpb.SetRootResourceResponse());
  };
  return engine;
}

/** Starts Pulumi's own Node.js language host on the program, as pulumi-language-nodejs does; resolves with its exit code. */
function runLanguageHost(address: string, o: StartProgramOptions, state: EngineState): Promise<number> {
  return new Promise<number>((resolve) => {
    // The arguments pulumi-language-nodejs passes (no --dry-run: this is an update). --parallel is
    // the CLI's default (unbounded, 2147483647).
    const child = spawn(
      process.execPath,
      [
        join(sdkRoot, "cmd", "run", "index.js"),
        `--monitor=${address}`,
        `--engine=${address}`,
        `--project=${o.project}`,
        `--stack=${o.stack}`,
        `--pwd=${o.pwd}`,
        `--root-directory=${o.projectRoot}`,
        "--parallel=2147483647",
        o.main,
      ],
      {
        cwd: o.pwd,
        stdio: ["ignore", "pipe", "pipe"],
        env: {
          ...o.env,
          PULUMI_CONFIG: JSON.stringify(o.config),
          PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(o.secretKeys),
          PULUMI_NODEJS_TYPESCRIPT: String(o.typescript),
        },
      },
    );
    // Masked only once whole: a secret split across two chunks would slip through chunk by chunk.
    let output = "";
    const collect = (chunk: Buffer) => {
      output += chunk.toString("utf8");
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    child.on("close", (code) => {
      const text = maskSecrets(output, o.secrets).trim();
      if (text) state.diagnostics.push(text);
      resolve(code ?? 1);
    });
  });
}

/** Runs the program to the end against the stand-in engine. */
export async function runProgram(o: StartProgramOptions): Promise<ProgramRun> {
  const state = new EngineState(o.project, o.stack);
  const server = new grpc.Server();
  server.addService(resgrpc.ResourceMonitorService, resourceMonitor(state, o));
  server.addService(enggrpc.EngineService, engineService(state, o));
  const port: number = await new Promise((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err: Error | null, p: number) => (err ? reject(err) : resolve(p))),
  );
  try {
    const exitCode = await runLanguageHost(`127.0.0.1:${port}`, o, state);
    const { diagnostics, registrations, stackOutputs, failure } = state;
    return { exitCode, diagnostics, registrations, outputs: stackOutputs, ...(failure ? { failure } : {}) };
  } finally {
    server.forceShutdown();
  }
}
