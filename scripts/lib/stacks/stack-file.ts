// Pulumi.<stack>.yaml read as YAML: whether a stack is production, and its passphrase salt.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { ExpectedFailure } from "../../../core/expected-failure.js";

export const PROJECT = "kinde-hasura";

/** A stack command refused or failed; its message says what to do. */
export class StackCommandError extends ExpectedFailure {}

/** The `encryptionsalt` of Pulumi.<stack>.yaml, if the file has one. */
export function stackSalt(repoRoot: string, stack: string): string | undefined {
  const file = join(repoRoot, `Pulumi.${stack}.yaml`);
  if (!existsSync(file)) return undefined;
  const salt = (readStackFile(file) as { encryptionsalt?: unknown } | null)?.encryptionsalt;
  return typeof salt === "string" ? salt : undefined;
}

/** Pulumi.<stack>.yaml parsed, or a StackCommandError naming the file. */
function readStackFile(file: string): unknown {
  try {
    return parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new StackCommandError(`${file} is not valid YAML: ${(err as Error).message.split("\n")[0]}`);
  }
}

/** Whether Pulumi.<stack>.yaml marks the stack as production, read as YAML (so `True`, `"true"`, comments all count). */
export function isProductionStack(repoRoot: string, stack: string): boolean {
  const file = join(repoRoot, `Pulumi.${stack}.yaml`);
  if (!existsSync(file)) return false;
  const value = (readStackFile(file) as { config?: Record<string, unknown> } | null)?.config?.[`${PROJECT}:production`];
  return value === true || (typeof value === "string" && value.trim().toLowerCase() === "true");
}
