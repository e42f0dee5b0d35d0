// A content hash of a directory tree, for command triggers: it changes when a file's path or bytes
// change and never because of timestamps, permissions or the machine the repo is checked out on.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, sep } from "node:path";

export function hashDirectory(dir: string): string {
  const hash = createHash("sha256");
  for (const file of listFiles(dir)) {
    const path = relative(dir, file).split(sep).join("/");
    const bytes = readFileSync(file);
    // Length-prefixed, so moving bytes between a name and a body cannot produce the same stream.
    hash.update(`${path.length}:${path}${bytes.length}:`);
    hash.update(bytes);
  }
  return hash.digest("hex");
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? listFiles(join(dir, e.name)) : e.isFile() ? [join(dir, e.name)] : []))
    .sort();
}
