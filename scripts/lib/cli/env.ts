// Required environment variables, with a message that says what to set.

import { ExpectedFailure } from "../../../core/expected-failure.js";
import { readStepInputs, type StepContract, type StepInputs } from "../../../core/steps.js";

export function requireEnv(name: string, example: string): string {
  const value = process.env[name];
  if (!value) throw new UsageError(`${name} is not set; set it to ${example}`);
  return value;
}

/** A step's inputs from its declared variables (core/steps.ts); every missing required one named at once. */
export function requireStepInputs<S extends StepContract>(step: S, env: NodeJS.ProcessEnv = process.env): StepInputs<S, string> {
  const { inputs, missing } = readStepInputs(step, env);
  if (missing.length > 0) throw new UsageError(missing.map((v) => `${v.name} is not set; set it to ${v.holds}`).join("\n"));
  return inputs as StepInputs<S, string>;
}

/**
 * A Pulumi stack name as the scripts accept it (`source` names where it came from: --stack, STACK):
 * it becomes part of Docker names and of paths, so nothing beyond letters, digits, `_`, `.` and `-`.
 */
export function requireStackName(stack: string, source: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/.test(stack))
    throw new UsageError(`${source} must be a stack name such as dev or pr-42; got ${JSON.stringify(stack)}`);
  return stack;
}

/** Bad input from the person running a script: printed as is, with the usage, exit code 2. */
export class UsageError extends ExpectedFailure {
  override readonly exitCode = 2;
}
