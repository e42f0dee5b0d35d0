// Runs infra/ under Pulumi's mocks and records every resource registration *with its options*:
// `setMocks` alone shows type, name and inputs, but protect, deleteBeforeReplace, dependsOn, the
// provider and the parent travel in the register request that the mock monitor receives.
import { createHash, generateKeyPairSync, randomBytes } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import * as rpc from "@pulumi/pulumi/runtime/rpc.js";
import * as settings from "@pulumi/pulumi/runtime/settings.js";
import { vi } from "vitest";

export const PROJECT = "kinde-hasura";

export interface Registration {
  type: string;
  name: string;
  urn: string;
  /** Inputs as sent, secrets still in Pulumi's envelope (see {@link isSecretValue}). */
  inputs: Record<string, unknown>;
  protect: boolean;
  retainOnDelete: boolean;
  deleteBeforeReplace: boolean;
  /** URNs this resource waits for. */
  dependsOn: string[];
  provider: string;
  parent: string;
  replaceOnChanges: string[];
  additionalSecretOutputs: string[];
}

export interface ProgramRun {
  resources: Registration[];
  /** Stack outputs, secrets unwrapped (see {@link secretOutputs}). */
  outputs: Record<string, unknown>;
  /** Names of the outputs Pulumi would print as [secret] without --show-secrets. */
  secretOutputs: string[];
  /** The one resource of this type and logical name; fails the test if absent. */
  get(type: string, name: string): Registration;
}

interface SecretEnvelope {
  [rpc.specialSigKey]: typeof rpc.specialSecretSig;
  value: unknown;
}

export function isSecretValue(v: unknown): v is SecretEnvelope {
  return typeof v === "object" && v !== null && (v as Record<string, unknown>)[rpc.specialSigKey] === rpc.specialSecretSig;
}

/** Every plain (non-secret) string anywhere in a value. */
export function plainStrings(v: unknown): string[] {
  if (isSecretValue(v)) return [];
  if (typeof v === "string") return [v];
  if (Array.isArray(v)) return v.flatMap(plainStrings);
  if (v && typeof v === "object") return Object.values(v).flatMap(plainStrings);
  return [];
}

/** The plain value inside a secret envelope; throws if the value was not a secret. */
export function unwrapSecret(v: unknown): unknown {
  if (!isSecretValue(v)) throw new Error(`expected a secret, got ${JSON.stringify(v)}`);
  return v.value;
}

export type MockState = (type: string, name: string, inputs: Record<string, unknown>) => Record<string, unknown>;

/**
 * Providers fill in outputs the program reads: Docker the image id and the published host ports;
 * random a password of the asked length; tls a real RSA key (so a local-mode JWT secret is real).
 */
const providerLikeState: MockState = (type, _name, inputs) => {
  if (type === "random:index/randomPassword:RandomPassword")
    return { result: `generated-${randomBytes(24).toString("base64url")}`.slice(0, Number(inputs.length)) };
  if (type === "tls:index/privateKey:PrivateKey") {
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: Number(inputs.rsaBits) });
    return {
      privateKeyPem: privateKey.export({ type: "pkcs1", format: "pem" }),
      privateKeyPemPkcs8: privateKey.export({ type: "pkcs8", format: "pem" }),
      publicKeyPem: publicKey.export({ type: "spki", format: "pem" }),
    };
  }
  // One id per image name, as Docker's would be: a container on the wrong image shows.
  if (type === "docker:index/remoteImage:RemoteImage") return { imageId: `sha256:${createHash("sha256").update(String(inputs.name)).digest("hex")}` };
  if (type === "docker:index/container:Container") {
    const ports = (inputs.ports as Array<Record<string, unknown>> | undefined)?.map((p, i) => ({
      ...p,
      external: p.external ?? 49_000 + i,
    }));
    return ports ? { ports } : {};
  }
  return {};
};

/**
 * Runs the program for `stack` with `config` (keys without the project prefix; `secretKeys` are stored
 * as secrets the way `pulumi config set --secret` does). Rejects with the program's error, if any.
 */
export async function runProgram(stack: string, config: Record<string, string>, secretKeys: string[] = []): Promise<ProgramRun> {
  vi.resetModules();
  const full = (k: string) => `${PROJECT}:${k}`;
  pulumi.runtime.setAllConfig(Object.fromEntries(Object.entries(config).map(([k, v]) => [full(k), v])), secretKeys.map(full));
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => ({
        id: `${args.name}-id`,
        state: { ...args.inputs, ...providerLikeState(args.type, args.name, args.inputs) },
      }),
      call: (args) => args.inputs,
    },
    PROJECT,
    stack,
    false,
  );

  const resources: Registration[] = [];
  const monitor = settings.getMonitor() as unknown as {
    registerResource(req: RegisterRequest, cb: (err: unknown, res: { getUrn(): string }) => void): void;
  };
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, cb) =>
    register(req, (err, res) => {
      if (!err) {
        resources.push({
          type: req.getType(),
          name: req.getName(),
          urn: res.getUrn(),
          inputs: rpc.deserializeProperties(req.getObject() as never, true) as Record<string, unknown>,
          protect: req.getProtect() ?? false,
          retainOnDelete: req.getRetainondelete() ?? false,
          deleteBeforeReplace: req.getDeletebeforereplace(),
          dependsOn: req.getDependenciesList(),
          provider: req.getProvider(),
          parent: req.getParent(),
          replaceOnChanges: req.getReplaceonchangesList(),
          additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
        });
      }
      cb(err, res);
    });

  let program: Record<string, unknown>;
  try {
    program = (await import("../../infra/index.js")) as Record<string, unknown>;
  } catch (err) {
    await (settings as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
    // How many resources the failed program had registered: a refused config must have registered none.
    throw Object.assign(err as Error, { registered: resources.length });
  }
  // As the engine reads it (@pulumi/pulumi cmd/run/run.ts): a default export is the outputs, and it may
  // not stand beside named exports.
  if (Object.getOwnPropertyDescriptor(program, "default") !== undefined) {
    if (Object.keys(program).length !== 1) throw new Error("expected either a default export or named exports, not both");
    program = program.default as Record<string, unknown>;
  }
  const outputs: Record<string, unknown> = {};
  const secretOutputs: string[] = [];
  for (const [key, value] of Object.entries(program)) {
    outputs[key] = pulumi.Output.isInstance(value) ? await outputValue(value) : value;
    if (pulumi.Output.isInstance(value) && (await pulumi.isSecret(value))) secretOutputs.push(key);
  }
  await (settings as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();

  return {
    resources,
    outputs,
    secretOutputs,
    get(type, name) {
      const found = resources.filter((r) => r.type === type && r.name === name);
      if (found.length !== 1) throw new Error(`expected one ${type} named ${name}, found ${found.length}`);
      return found[0] as Registration;
    },
  };
}

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getObject(): unknown;
  getProtect(): boolean | undefined;
  getRetainondelete(): boolean | undefined;
  getDeletebeforereplace(): boolean;
  getDependenciesList(): string[];
  getProvider(): string;
  getParent(): string;
  getReplaceonchangesList(): string[];
  getAdditionalsecretoutputsList(): string[];
}

export function outputValue<T>(o: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => o.apply(resolve));
}

/** The `KEY=VALUE` list of a container as a map (unwrapping the secret envelope). */
export function containerEnv(container: Registration): Record<string, string> {
  const envs = unwrapSecret(container.inputs.envs) as string[];
  return Object.fromEntries(envs.map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));
}
