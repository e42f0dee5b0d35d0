// How every CLI here ends, so none ends in a stack trace for something a person did:
// - bad input (UsageError, or an argument node:util parseArgs refuses) exits 2 with the message and usage;
// - an expected failure (an ExpectedFailure, core/expected-failure.ts) exits with its code and message;
// - a file, network or PostgreSQL error exits 1 with one line naming what failed;
// - anything else is a bug and throws.
import { ExpectedFailure } from "../../../core/expected-failure.js";
import { UsageError } from "./env.js";

export interface CliOptions {
  /** Printed after a usage error. */
  usage: string;
}

export async function runCli(main: () => Promise<number>, options: CliOptions): Promise<void> {
  const code = await main().catch((err: unknown) => {
    const failure = describeFailure(err, options);
    if (!failure) throw err;
    console.error(failure.message);
    return failure.code;
  });
  // The code is set, not forced: process.exit() may cut off what is still being written to a pipe (a
  // step's output in `pulumi up`'s log). A handle left open by a library must not hang a deploy step
  // either, so an unref'd timer (it keeps nothing alive) ends the process if it has not ended by then.
  process.exitCode = code;
  setTimeout(() => {
    // Said, so that a library's stray handle shows (and is fixed) instead of slowing every run quietly.
    process.stderr.write(`(still running ${EXIT_GRACE_MS / 1000} s after finishing: something left a handle open; exiting with ${code})\n`);
    process.exit(code);
  }, EXIT_GRACE_MS).unref();
}

/** How long a CLI may take to wind down after its work is done. */
const EXIT_GRACE_MS = 5_000;

/** The message and exit code for an error a person can act on, or undefined for a bug. */
export function describeFailure(err: unknown, options: CliOptions): { code: number; message: string } | undefined {
  if (err instanceof UsageError) return { code: 2, message: err.message.includes("usage:") ? err.message : `${err.message}\n${options.usage}` };
  const e = err as { code?: unknown; message?: string; syscall?: string; path?: string; address?: string; port?: number; severity?: string };
  // node:util parseArgs: unknown option, missing value, unexpected positional.
  if (typeof e.code === "string" && e.code.startsWith("ERR_PARSE_ARGS_")) return { code: 2, message: `${e.message}\n${options.usage}` };
  if (err instanceof ExpectedFailure) return { code: err.exitCode, message: err.message };
  // A PostgreSQL server's refusal (pg's DatabaseError carries severity and SQLSTATE).
  if (typeof e.severity === "string" && typeof e.code === "string")
    return { code: 1, message: `PostgreSQL refused: ${e.message} (SQLSTATE ${e.code})` };
  // A file or connection error from Node (ENOENT, ENOTDIR, EISDIR, ECONNREFUSED, ETIMEDOUT, …).
  if (typeof e.code === "string" && /^E[A-Z]+$/.test(e.code) && (e.syscall || e.path || e.address)) {
    const where = e.path ?? (e.address ? `${e.address}${e.port ? `:${e.port}` : ""}` : "");
    return { code: 1, message: `${e.syscall ?? "operation"} ${where} failed: ${e.code}` };
  }
  if (err instanceof Error && /timeout/i.test(err.message) && /connect/i.test(err.message)) return { code: 1, message: err.message };
  return undefined;
}
