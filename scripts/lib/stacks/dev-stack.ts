// `npm run up` / `npm run down`: check the prerequisites, pick a backend and a passphrase, then hand
// over to `pulumi up` / `pulumi destroy`. It writes no value into any stack file: the program
// generates the credentials a stack lacks (infra/credentials.ts), and they live in the stack's state.
import { missingPrerequisites, type Runner } from "../cli/shell.js";
import { must, pulumiEnvironment } from "./pulumi-cli.js";
import { isProductionStack, PROJECT, StackCommandError } from "./stack-file.js";

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

  must(o.run, ["stack", "select", o.stack, "--create", "--non-interactive"], env, `Selecting stack ${o.stack}`);
  // Preview stacks only: their Pulumi.pr-<N>.yaml is git-ignored.
  for (const [key, value] of Object.entries(o.template ?? {})) {
    must(o.run, ["config", "set", `${PROJECT}:${key}`, value, "--stack", o.stack], env, `Setting ${key}`);
  }
  return o.run("pulumi", ["up", "--stack", o.stack, ...o.passThrough], { env, interactive: true }).code;
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
