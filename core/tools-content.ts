// What the Kubernetes target's tools image holds, as one digest: the folders tools.Dockerfile copies, the
// package files it installs from, and the Dockerfile. The image records it when it is built
// (`npm run tools-image`), and every step Job checks it against the deploying checkout's, so a Job never
// runs yesterday's migrations from an image nobody rebuilt.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { hashDirectory } from "./content-hash.js";

export const TOOLS_CONTENT_FOLDERS = ["core", "scripts", "migrations", "metadata", "seeds"];
const TOOLS_CONTENT_FILES = ["package.json", "package-lock.json", "tools.Dockerfile"];
/** Where the image keeps its digest (tools.Dockerfile). */
export const TOOLS_CONTENT_FILE = "/app/tools-content";

export function toolsContent(repoRoot: string): string {
  const hash = createHash("sha256");
  for (const dir of TOOLS_CONTENT_FOLDERS) hash.update(hashDirectory(join(repoRoot, dir))).update("\0");
  for (const file of TOOLS_CONTENT_FILES) hash.update(readFileSync(join(repoRoot, file))).update("\0");
  return `c-${hash.digest("hex").slice(0, 12)}`;
}
