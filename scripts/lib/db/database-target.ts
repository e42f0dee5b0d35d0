// Which database a backup or restore works on: a deployed stack (--stack) or DATABASE_URL, exactly one.
import { requireStackName, UsageError } from "../cli/env.js";

export type DatabaseTarget = { kind: "stack"; stack: string } | { kind: "url"; url: string };

export function databaseTarget(stack: string | undefined, env: NodeJS.ProcessEnv, what: string): DatabaseTarget {
  const url = env.DATABASE_URL?.trim() ?? "";
  if (stack !== undefined) {
    requireStackName(stack, "--stack");
    if (url !== "") throw new UsageError("Both --stack and DATABASE_URL are set; pick one (unset DATABASE_URL to use the stack)");
    return { kind: "stack", stack };
  }
  if (url === "")
    throw new UsageError(`DATABASE_URL is not set: ${what}, e.g. postgres://postgres:<password>@127.0.0.1:15432/app; or pass --stack <name>`);
  return { kind: "url", url };
}
