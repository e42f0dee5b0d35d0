// Backup and restore of a stack's app database with PostgreSQL's own tools: `pg_dump -Fc` of the
// database, and the roles it needs from `pg_dumpall --globals-only --no-role-passwords` (a restore must
// never overwrite the target's passwords). The stack's backup container uses the Postgres image's own
// pg_dump, so the dump matches its server; these functions use whichever tools they are given.
// The password travels in PGPASSWORD, never in argv where `ps` would show it.
import { spawn } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { redactUrl } from "./postgres-url.js";

export class BackupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BackupError";
  }
}

export interface PgTools {
  pgDump: string;
  pgDumpall: string;
  pgRestore: string;
  psql: string;
}

/** The tools from PATH, or from one PostgreSQL bin folder. */
export function pgTools(binDir?: string): PgTools {
  const tool = (name: string) => (binDir ? `${binDir}/${name}` : name);
  return { pgDump: tool("pg_dump"), pgDumpall: tool("pg_dumpall"), pgRestore: tool("pg_restore"), psql: tool("psql") };
}

/** Where a backup's roles live beside its dump. */
export function rolesFileOf(dumpFile: string): string {
  return `${dumpFile}.roles.sql`;
}

interface Connection {
  /** The URL without its password, for the tools' argv. */
  url: string;
  env: NodeJS.ProcessEnv;
  shown: string;
}

function connection(url: string): Connection {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new BackupError(`${redactUrl(url)} is not a connection URL; percent-encode @ : / # ? in the password`);
  }
  const password = decodeURIComponent(parsed.password);
  parsed.password = "";
  return { url: parsed.toString(), env: { ...process.env, PGPASSWORD: password, PGCONNECT_TIMEOUT: "15" }, shown: redactUrl(url) };
}

function run(tool: string, args: string[], env: NodeJS.ProcessEnv, step: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(tool, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("error", (err) => reject(new BackupError(`${step}: cannot run ${tool}: ${(err as NodeJS.ErrnoException).code ?? err.message}`)));
    child.on("close", (code) => {
      if (code === 0) return resolve(stdout || stderr);
      reject(new BackupError(`${step} failed (${tool} exited ${code}): ${stderr.trim().split("\n").slice(-3).join(" | ")}`));
    });
  });
}

/** Writes `outFile` (custom-format dump of the database) and its roles file beside it. */
export async function backupDatabase(url: string, outFile: string, tools: PgTools = pgTools()): Promise<{ dump: string; roles: string }> {
  const c = connection(url);
  await run(tools.pgDump, ["--format=custom", "--file", outFile, "--dbname", c.url], c.env, `pg_dump of ${c.shown} to ${outFile}`);
  const roles = await run(tools.pgDumpall, ["--globals-only", "--no-role-passwords", "--dbname", c.url], c.env, `pg_dumpall --globals-only of ${c.shown}`);
  writeFileSync(rolesFileOf(outFile), roles, { mode: 0o600 });
  return { dump: outFile, roles: rolesFileOf(outFile) };
}

/** Both files of a backup exist (checked before anything is stopped or changed); returns the roles file. */
export function checkBackupFiles(fromFile: string): string {
  if (!existsSync(fromFile)) throw new BackupError(`${fromFile} does not exist; pass --from <a file npm run backup wrote>`);
  const roles = rolesFileOf(fromFile);
  if (!existsSync(roles)) throw new BackupError(`${roles} is missing: a backup is the dump and its roles file side by side`);
  return roles;
}

/**
 * Restores `fromFile` into the database at `url`: the roles first (those that exist are kept, with their
 * passwords), then the dump in one transaction (`--single-transaction --exit-on-error`), replacing the
 * objects it holds. Nothing is half-restored: a failing dump leaves the database as it was.
 */
export async function restoreDatabase(url: string, fromFile: string, tools: PgTools = pgTools()): Promise<void> {
  const roles = checkBackupFiles(fromFile);
  const c = connection(url);
  // "already exists" is expected for every role the target has; any other error stops the restore.
  const output = await run(tools.psql, ["--no-psqlrc", "--quiet", "--set", "ON_ERROR_STOP=0", "--dbname", c.url, "--file", roles], c.env, `restoring the roles of ${roles}`);
  const failures = output.split("\n").filter((l) => /ERROR:/.test(l) && !/already exists/.test(l));
  if (failures.length > 0) throw new BackupError(`restoring the roles of ${roles} failed: ${failures.slice(0, 3).join(" | ")}`);
  await run(
    tools.pgRestore,
    ["--clean", "--if-exists", "--single-transaction", "--exit-on-error", "--no-password", "--dbname", c.url, fromFile],
    c.env,
    `pg_restore of ${fromFile} into ${c.shown}`,
  );
}
