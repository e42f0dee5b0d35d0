// Required environment variables, with a message that says what to set.

export function requireEnv(name: string, example: string): string {
  const value = process.env[name];
  if (!value) throw new UsageError(`${name} is not set; set it to ${example}`);
  return value;
}

/** Bad input from the person running a script: printed as is, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}
