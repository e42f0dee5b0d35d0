// Where the Pulumi engine starts a program, and so every provider plugin: a port of getPwdMain
// (pulumi/pulumi pkg/engine/project.go). The working directory of `pulumi up` is not the shell's: it
// is the project root when Pulumi.yaml has no `main`, the `main` directory itself when `main` names
// one, or the parent of a `main` file. A `command.local.Command` without `dir` runs there
// (pulumi-command local/commandOutputs.go uses os.Getwd()), and ts-node looks for tsconfig.json there.
import { readFileSync, statSync } from "node:fs";
import { basename, dirname, isAbsolute, join, normalize } from "node:path";
import { parse } from "yaml";

export interface EnginePwdMain {
  /** The directory the language host chdirs to and the providers start in. */
  pwd: string;
  /** The program argument the language host gets: "." means package.json's `main` (or index). */
  main: string;
}

export function enginePwdMain(projectRoot: string, main: string | undefined): EnginePwdMain {
  if (!main) return { pwd: projectRoot, main: "." };
  if (isAbsolute(main)) throw new Error("project 'main' must be a relative path");
  const cleanRoot = normalize(projectRoot).replace(/[\\/]+$/, "");
  const full = normalize(join(cleanRoot, main)).replace(/[\\/]+$/, "");
  // getPwdMain checks a string prefix, as here; `..` that stays inside still passes.
  if (!full.startsWith(cleanRoot)) throw new Error("project 'main' must be a subfolder");
  let isDir: boolean;
  try {
    isDir = statSync(full).isDirectory();
  } catch (err) {
    throw new Error(`project 'main' could not be read: ${(err as Error).message}`);
  }
  return isDir ? { pwd: full, main: "." } : { pwd: dirname(full), main: basename(full) };
}

/** A key declared in Pulumi.yaml's `config:` block. */
export interface DeclaredKey {
  type?: string;
  default?: unknown;
  secret?: boolean;
  description?: string;
}

/** The project's Pulumi.yaml as the engine reads the parts that matter here. */
export function readProjectFile(projectRoot: string): { name: string; main?: string; typescript: boolean; config: Record<string, DeclaredKey> } {
  const project = parse(readFileSync(join(projectRoot, "Pulumi.yaml"), "utf8")) as {
    name: string;
    main?: string;
    runtime?: { options?: { typescript?: boolean } } | string;
    config?: Record<string, DeclaredKey | string | number | boolean>;
  };
  const options = typeof project.runtime === "object" ? project.runtime.options : undefined;
  // A shorthand `key: value` declares a default.
  const config = Object.fromEntries(Object.entries(project.config ?? {}).map(([k, d]) => [k, d && typeof d === "object" ? d : { default: d }]));
  return { name: project.name, ...(project.main ? { main: project.main } : {}), typescript: options?.typescript !== false, config };
}

/** Path-like words of a shell command (a `/` inside, no scheme), e.g. `scripts/migrate.ts`. */
export function pathsInCommand(command: string): string[] {
  return command.split(/\s+/).filter((word) => /^[\w.][\w.\-/]*\/[\w.\-/]*$/.test(word) && !word.includes("://"));
}
