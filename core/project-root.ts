// The project root, from this file's own place in the repository, never from the process's working
// directory: Pulumi starts the program and every provider in the directory it derives from
// Pulumi.yaml (pulumi/pulumi pkg/engine/project.go getPwdMain), and people run the CLIs from anywhere.
import { isAbsolute, join } from "node:path";
import { fileURLToPath } from "node:url";

// Without the trailing separator a directory URL gives, so messages read as paths.
export const PROJECT_ROOT = fileURLToPath(new URL("..", import.meta.url)).replace(/[\\/]+$/, "");

/** A path inside the repository, e.g. `inProject("migrations", "default")`. */
export function inProject(...segments: string[]): string {
  return join(PROJECT_ROOT, ...segments);
}

/** A path given by a person: absolute as is, relative to where they stand. */
export function fromCaller(path: string): string {
  return isAbsolute(path) ? path : join(process.cwd(), path);
}
