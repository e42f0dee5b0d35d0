// What the Kubernetes target's tools image holds, as one digest: the folders tools.Dockerfile copies, the
// package files it installs from, tsconfig.json and the Dockerfile. The image records it when it is built
// (`npm run tools-image`), and every step Job checks it against the deploying checkout's, so a Job never
// runs yesterday's migrations from an image nobody rebuilt. Line endings do not count (a CRLF checkout is
// the same content), nor do files the image never gets (.dockerignore leaves out the same).
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export const TOOLS_CONTENT_FOLDERS = ["core", "scripts", "migrations", "metadata", "seeds"];
const TOOLS_CONTENT_FILES = ["package.json", "package-lock.json", "tsconfig.json", "tools.Dockerfile"];
/** Where the image keeps its digest (tools.Dockerfile). */
export const TOOLS_CONTENT_FILE = "/app/tools-content";

/** Dot files (.DS_Store, .env), keys and passphrases: never in the image (.dockerignore), never in the digest. */
export function leftOutOfToolsImage(name: string): boolean {
  return name.startsWith(".") || name.endsWith(".pem") || name.startsWith("passphrase") || name === "node_modules";
}

export function toolsContent(repoRoot: string): string {
  const hash = createHash("sha256");
  const add = (relativePath: string) => {
    const text = readFileSync(join(repoRoot, relativePath)).toString("latin1").replace(/\r\n/g, "\n");
    hash.update(relativePath).update("\0").update(String(text.length)).update("\0").update(text, "latin1");
  };
  for (const folder of TOOLS_CONTENT_FOLDERS) for (const file of filesUnder(repoRoot, folder)) add(file);
  for (const file of TOOLS_CONTENT_FILES) add(file);
  return `c-${hash.digest("hex").slice(0, 12)}`;
}

/** Regular files under `folder`, relative to the root, sorted; symlinks and left-out names skipped. */
function filesUnder(root: string, folder: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(join(root, folder), { withFileTypes: true })) {
    if (leftOutOfToolsImage(entry.name) || entry.isSymbolicLink()) continue;
    const path = `${folder}/${entry.name}`;
    if (entry.isDirectory()) found.push(...filesUnder(root, path));
    else if (entry.isFile()) found.push(path);
  }
  return found.sort();
}
