// Backup and restore of a stack's app database with PostgreSQL's own tools: `pg_dump -Fc` of the
// database, and the roles it needs from `pg_dumpall --globals-only --no-role-passwords` (a restore must
// never overwrite the target's passwords). The stack's backup container uses the Postgres image's own
// pg_dump, so the dump matches its server; these functions use whichever tools they are given.
// The password travels in PGPASSWORD, never in argv where `ps` would show it.
import { spawn } from "node:child_process";
import { readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { redactUrl } from "../../../core/postgres-url.js";

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
  let password: string;
  try {
    password = decodeURIComponent(parsed.password);
  } catch {
    throw new BackupError(`${redactUrl(url)} has a password that is not valid percent-encoding; percent-encode @ : / # ? % in the password`);
  }
  // A password in the query string would reach argv (`ps`); it belongs in the URL's user part.
  for (const key of parsed.searchParams.keys()) {
    if (key.toLowerCase() === "password" || key.toLowerCase() === "passfile") {
      throw new BackupError(
        `${redactUrl(url)} carries a ${key} query parameter; put the password in the URL (postgres://user:<password>@host/db) instead`,
      );
    }
  }
  parsed.password = "";
  return { url: parsed.toString(), env: { ...process.env, PGPASSWORD: password, PGCONNECT_TIMEOUT: "15" }, shown: redactUrl(url) };
}

/** A path as shown in messages: quoted, so control characters cannot break the line or the terminal. */
function shown(path: string): string {
  return /^[\x20-\x7e]*$/.test(path) ? path : JSON.stringify(path);
}

function run(tool: string, args: string[], env: NodeJS.ProcessEnv, step: string): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(tool, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("error", (err) => reject(new BackupError(`${step}: cannot run ${tool}: ${(err as NodeJS.ErrnoException).code ?? err.message}`)));
    child.on("close", (code) => {
      if (code === 0) return resolve({ stdout, stderr });
      reject(new BackupError(`${step} failed (${tool} exited ${code}): ${stderr.trim().split("\n").slice(-3).join(" | ")}`));
    });
  });
}

/**
 * Writes `outFile` (custom-format dump of the database) and its roles file beside it, owner-only. Both
 * go to temporary names first and take their names only when both tools succeeded: a failed backup
 * leaves an earlier backup at `outFile` as it was.
 */
export async function backupDatabase(url: string, outFile: string, tools: PgTools = pgTools()): Promise<{ dump: string; roles: string }> {
  const c = connection(url);
  const partialDump = `${outFile}.partial`;
  const partialRoles = `${rolesFileOf(outFile)}.partial`;
  try {
    writeFileSync(partialDump, "", { mode: 0o600 });
    await run(tools.pgDump, ["--format=custom", "--file", partialDump, "--dbname", c.url], c.env, `pg_dump of ${c.shown} to ${shown(outFile)}`);
    const roles = await run(
      tools.pgDumpall,
      ["--globals-only", "--no-role-passwords", "--dbname", c.url],
      c.env,
      `pg_dumpall --globals-only of ${c.shown}`,
    );
    writeFileSync(partialRoles, roles.stdout, { mode: 0o600 });
    renameSync(partialRoles, rolesFileOf(outFile));
    renameSync(partialDump, outFile);
  } catch (err) {
    rmSync(partialDump, { force: true });
    rmSync(partialRoles, { force: true });
    if (err instanceof BackupError) throw err;
    throw new BackupError(`writing the backup to ${shown(outFile)} failed: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return { dump: outFile, roles: rolesFileOf(outFile) };
}

/** Both files of a backup exist (checked before anything is stopped or changed); returns the roles file. */
export function checkBackupFiles(fromFile: string): string {
  const isFile = (path: string) => statSync(path, { throwIfNoEntry: false })?.isFile() === true;
  if (!isFile(fromFile)) throw new BackupError(`${shown(fromFile)} does not exist or is not a file; pass --from <a file npm run backup wrote>`);
  const roles = rolesFileOf(fromFile);
  if (!isFile(roles)) throw new BackupError(`${shown(roles)} is missing: a backup is the dump and its roles file side by side`);
  // psql runs the roles file: a meta-command such as \! would run a shell command on this machine.
  // pg_dumpall writes only \restrict and \unrestrict (PostgreSQL's own guard, CVE-2025-8714) and \connect.
  const lines = readFileSync(roles, "utf8").split("\n");
  const metaLine = lines.findIndex((line) => /^\s*\\/.test(line) && !/^\\(restrict|unrestrict|connect) /.test(line));
  if (metaLine >= 0) {
    throw new BackupError(
      `${shown(roles)} line ${metaLine + 1} is a psql meta-command pg_dumpall does not write; refusing to run it (check where this backup came from)`,
    );
  }
  return roles;
}

/**
 * What can be known before anything is stopped or changed: the files are there, `pg_restore` can read
 * the dump (not garbage, not newer than this pg_restore), and the database answers.
 */
export async function preflightRestore(url: string, fromFile: string, tools: PgTools = pgTools()): Promise<void> {
  checkBackupFiles(fromFile);
  const c = connection(url);
  await run(tools.pgRestore, ["--list", fromFile], c.env, `reading ${shown(fromFile)} (pg_restore --list)`);
  await run(tools.psql, ["--no-psqlrc", "--quiet", "--dbname", c.url, "--command", "SELECT 1"], c.env, `connecting to ${c.shown}`);
}

/**
 * Restores `fromFile` into the database at `url`: the roles first (those that exist are kept, with their
 * passwords), then the dump in one transaction (`--single-transaction --exit-on-error`), replacing the
 * objects it holds. The data is never half-restored: a failing dump leaves the database as it was. The
 * roles step runs before and outside that transaction: roles it creates, and attributes and memberships
 * it sets, stay even when the dump then fails (passwords are never in the file).
 */
export async function restoreDatabase(url: string, fromFile: string, tools: PgTools = pgTools()): Promise<void> {
  const roles = checkBackupFiles(fromFile);
  const c = connection(url);
  // "already exists" is expected for every role the target has; any other error stops the restore.
  const output = await run(
    tools.psql,
    ["--no-psqlrc", "--quiet", "--set", "ON_ERROR_STOP=0", "--dbname", c.url, "--file", roles],
    c.env,
    `restoring the roles of ${shown(roles)}`,
  );
  const failures = output.stderr.split("\n").filter((l) => /ERROR:/.test(l) && !/already exists/.test(l));
  if (failures.length > 0) throw new BackupError(`restoring the roles of ${shown(roles)} failed: ${failures.slice(0, 3).join(" | ")}`);
  await run(
    tools.pgRestore,
    ["--clean", "--if-exists", "--single-transaction", "--exit-on-error", "--no-password", "--dbname", c.url, fromFile],
    c.env,
    `pg_restore of ${shown(fromFile)} into ${c.shown}`,
  );
}
