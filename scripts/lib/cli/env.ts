// Required environment variables, with a message that says what to set.

export function requireEnv(name: string, example: string): string {
  const value = process.env[name];
  if (!value) throw new UsageError(`${name} is not set; set it to ${example}`);
  return value;
}

/**
 * A Pulumi stack name as the scripts accept it (`source` names where it came from: --stack, STACK):
 * it becomes part of Docker names and of paths, so nothing beyond letters, digits, `_`, `.` and `-`.
 */
export function requireStackName(stack: string, source: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/.test(stack)) throw new UsageError(`${source} must be a stack name such as dev or pr-42; got ${JSON.stringify(stack)}`);
  return stack;
}

/** Bad input from the person running a script: printed as is, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}
