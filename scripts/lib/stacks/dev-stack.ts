// `npm run up` / `npm run down`: check the prerequisites, pick a backend and a passphrase, then hand
// over to `pulumi up` / `pulumi destroy`. It writes no value into any stack file: the program
// generates the credentials a stack lacks (infra/credentials.ts), and they live in the stack's state.
// Pulumi itself writes one line, the passphrase's `encryptionsalt`, into a stack file that has none;
// `npm run up` names it when it appears.
import { missingPrerequisites, type Runner } from "../cli/shell.js";
import { must, pulumiEnvironment } from "./pulumi-cli.js";
import { isProductionStack, PROJECT, StackCommandError, stackSalt } from "./stack-file.js";

export interface DevStackOptions {
  run: Runner;
  env: NodeJS.ProcessEnv;
  repoRoot: string;
  stack: string;
  /** Extra arguments passed to `pulumi up` / `pulumi destroy`, e.g. --yes. */
  passThrough: string[];
  /** Plain config values to set on the stack before `pulumi up` (preview stacks copy the dev template). */
  template?: Record<string, string>;
  log: (line: string) => void;
}

/** Brings the stack up; returns pulumi up's exit code. Throws StackCommandError before any change it refuses. */
export function devStackUp(o: DevStackOptions): number {
  refuseBeforePulumi(o, "up", `Deploy production with \`pulumi up --stack ${o.stack}\` (docs/environments.md).`);
  const { env, notes } = pulumiEnvironment(o.env, o.repoRoot, o.stack);
  notes.forEach(o.log);

  const saltBefore = stackSalt(o.repoRoot, o.stack);
  must(o.run, ["stack", "select", o.stack, "--create", "--non-interactive"], env, `Selecting stack ${o.stack}`);
  if (saltBefore === undefined && stackSalt(o.repoRoot, o.stack) !== undefined) o.log(saltWrittenNote(o.stack));
  // Preview stacks only: their Pulumi.pr-<N>.yaml is git-ignored.
  for (const [key, value] of Object.entries(o.template ?? {})) {
    must(o.run, ["config", "set", `${PROJECT}:${key}`, value, "--stack", o.stack], env, `Setting ${key}`);
  }
  return o.run("pulumi", ["up", "--stack", o.stack, ...o.passThrough], { env, interactive: true }).code;
}

/**
 * What the passphrase provider just wrote (pulumi/pulumi pkg/secrets/passphrase/manager.go,
 * NewPassphraseSecretsManager): "v1:<8-byte salt>:<the word "pulumi" encrypted>", a salt and a check
 * value, no secret. The stack's `--secret` config values decrypt only with it, so it is committed with
 * the file; the check value lets someone with the file test passphrase guesses (PBKDF2-SHA256, 1,000,000
 * rounds each), harmless for the 32 random bytes `npm run up` generates, not for a weak one of your own.
 */
function saltWrittenNote(stack: string): string {
  return (
    `Pulumi wrote one line into Pulumi.${stack}.yaml: \`encryptionsalt\`, the salt of this stack's passphrase and a check value encrypted with it (no secret). ` +
    `Commit it with that file: the stack's --secret values decrypt only with it and the passphrase (docs/configuration.md, State and the passphrase).`
  );
}

/** Destroys the stack's resources; returns pulumi destroy's exit code. */
export function devStackDown(o: DevStackOptions): number {
  refuseBeforePulumi(
    o,
    "down",
    `If you mean to destroy it, run \`pulumi destroy --stack ${o.stack}\` yourself (its volumes are protected; docs/operations.md, Clean-up).`,
  );
  const { env } = pulumiEnvironment(o.env, o.repoRoot, o.stack);
  return o.run("pulumi", ["destroy", "--stack", o.stack, ...o.passThrough], { env, interactive: true }).code;
}

/**
 * Before `npm run up` or `down` runs anything: the tools they need (Docker too: destroy removes
 * containers and volumes through the daemon), and never a production stack (`instead` says what to run).
 */
function refuseBeforePulumi(o: DevStackOptions, command: "up" | "down", instead: string): void {
  const problems = missingPrerequisites(o.run, ["pulumi", "docker"]);
  if (problems.length > 0) throw new StackCommandError(problems.join("\n"));
  if (isProductionStack(o.repoRoot, o.stack)) {
    throw new StackCommandError(
      `Stack ${o.stack} is a production stack (production: true in Pulumi.${o.stack}.yaml); npm run ${command} is for dev and preview stacks. ${instead}`,
    );
  }
}
