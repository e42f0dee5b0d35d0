// The fixture schema of tests/fixtures/access-schema (notes, lists, todos, categories) laid over the
// project's own migrations/ and metadata/, in a project copy or a folder of its own.
import { cpSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PROJECT_ROOT } from "../../core/project-root.js";

export const ACCESS_FIXTURE = join(PROJECT_ROOT, "tests", "fixtures", "access-schema");

/** Copies the fixture's migrations and metadata over `root`'s (a project copy). */
export function layAccessFixture(root: string): void {
  for (const folder of ["migrations", "metadata"]) cpSync(join(ACCESS_FIXTURE, folder), join(root, folder), { recursive: true });
}

/** A fresh folder holding migrations/ and metadata/: the project's, with the fixture laid over. */
export function accessFixtureTree(): { migrations: string; metadata: string } {
  const root = mkdtempSync(join(tmpdir(), "kh-access-"));
  for (const folder of ["migrations", "metadata"]) cpSync(join(PROJECT_ROOT, folder), join(root, folder), { recursive: true });
  layAccessFixture(root);
  return { migrations: join(root, "migrations"), metadata: join(root, "metadata") };
}
