// A copy of this project in a temporary folder (node_modules linked, not copied), for rehearsals of
// a changed tree: a broken migration, a permission gone wrong, a mistyped script path.
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { PROJECT_ROOT } from "../../core/project-root.js";

const COPIED = [
  "core",
  "dev",
  "infra",
  "scripts",
  "migrations",
  "metadata",
  "seeds",
  "Pulumi.yaml",
  "Pulumi.dev.yaml",
  "Pulumi.staging.yaml",
  "Pulumi.prod.yaml",
  "package.json",
  "tsconfig.json",
];

export interface ProjectCopy {
  root: string;
  /** A fresh, empty folder for the rehearsal state. */
  stateRoot: string;
  write(path: string, content: string): void;
  /** Replaces `from` with `to` in a file of the copy; fails if `from` is not there. */
  edit(path: string, from: string, to: string): void;
}

export function projectCopy(label: string): ProjectCopy {
  const base = mkdtempSync(join(tmpdir(), `kh-${label}-`));
  // The stand-in PostgreSQL runs as the postgres user, which must be able to reach the state folder.
  chmodSync(base, 0o755);
  const root = join(base, "project");
  for (const entry of COPIED) cpSync(join(PROJECT_ROOT, entry), join(root, entry), { recursive: true });
  symlinkSync(join(PROJECT_ROOT, "node_modules"), join(root, "node_modules"), "dir");
  return {
    root,
    stateRoot: join(base, "rehearsal-state"),
    write: (path, content) => {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), content);
    },
    edit: (path, from, to) => {
      const text = readFileSync(join(root, path), "utf8");
      if (!text.includes(from)) throw new Error(`${path} has no ${JSON.stringify(from)}`);
      writeFileSync(join(root, path), text.replace(from, to));
    },
  };
}
