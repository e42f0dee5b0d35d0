import { cpSync, mkdirSync, mkdtempSync, renameSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { hashDirectory } from "../../core/content-hash.js";

function copyOfMigrations(): string {
  const dir = join(mkdtempSync(join(tmpdir(), "kh-hash-")), "default");
  cpSync("migrations/default", dir, { recursive: true });
  return dir;
}

describe("the trigger hash of a directory", () => {
  it("is the same for the same files wherever the checkout is and whatever their timestamps", () => {
    const dir = copyOfMigrations();
    utimesSync(join(dir, "1764115200000_create_users", "up.sql"), new Date(2001, 1, 1), new Date(2001, 1, 1));
    expect(hashDirectory(dir)).toBe(hashDirectory("migrations/default"));
    expect(hashDirectory(dir)).toMatch(/^[0-9a-f]{64}$/);
  });

  it("changes when a file's content changes, a file is added, or a file is renamed", () => {
    const before = hashDirectory("migrations/default");
    const edited = copyOfMigrations();
    writeFileSync(join(edited, "1764115200000_create_users", "down.sql"), "DROP TABLE public.users CASCADE;\n");
    const added = copyOfMigrations();
    mkdirSync(join(added, "1764115200001_more"));
    writeFileSync(join(added, "1764115200001_more", "up.sql"), "SELECT 1;");
    const renamed = copyOfMigrations();
    renameSync(join(renamed, "1764115200000_create_users"), join(renamed, "1764115200000_create_people"));
    const hashes = [before, hashDirectory(edited), hashDirectory(added), hashDirectory(renamed)];
    expect(new Set(hashes).size).toBe(4);
  });
});
