// Backup and restore of a stack's app database with PostgreSQL's own tools: `pg_dump -Fc` of the
// database, and the roles it needs from `pg_dumpall --globals-only --no-role-passwords` (a restore must
// never overwrite the target's passwords). The stack's backup container uses the Postgres image's own
// pg_dump, so the dump matches its server; these functions use whichever tools they are given.
// The password travels in PGPASSWORD, never in argv where `ps` would show it.
import { spawn } from "node:child_process";
import { readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { ExpectedFailure } from "../../../core/expected-failure.js";
import { redactUrl } from "../../../core/postgres-url.js";

export class BackupError extends ExpectedFailure {}

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

/** Why a tool could not be started (not installed, not executable). */
function cannotRun(tool: string, err: Error): string {
  return `cannot run ${tool}: ${(err as NodeJS.ErrnoException).code ?? err.message}`;
}

/** A tool that exited non-zero: the step, the tool, its code and its last three lines of stderr. */
function exitedWith(step: string, tool: string, code: number | null, stderr: string): BackupError {
  return new BackupError(`${step} failed (${tool} exited ${code}): ${stderr.trim().split("\n").slice(-3).join(" | ")}`);
}

function run(tool: string, args: string[], env: NodeJS.ProcessEnv, step: string): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(tool, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("error", (err) => reject(new BackupError(`${step}: ${cannotRun(tool, err)}`)));
    child.on("close", (code) => (code === 0 ? resolve({ stdout, stderr }) : reject(exitedWith(step, tool, code, stderr))));
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
  await requireRestrictingPgRestore(tools, c.env);
  await run(tools.pgRestore, ["--list", fromFile], c.env, `reading ${shown(fromFile)} (pg_restore --list)`);
  await run(tools.psql, ["--no-psqlrc", "--quiet", "--dbname", c.url, "--command", "SELECT 1"], c.env, `connecting to ${c.shown}`);
}

/** The first minor release of each major whose pg_restore writes `\restrict` (CVE-2025-8714); every 18.x release does. */
const RESTRICTING_MINOR: Record<number, number> = { 13: 22, 14: 19, 15: 14, 16: 10, 17: 6 };

/**
 * The restore hands pg_restore's script to psql, which would run a meta-command (`\!`, a shell
 * command) that a crafted dump slipped into it, unless the script starts with `\restrict`: only
 * pg_restore releases from August 2025 on write it (PostgreSQL 17.6 release notes, CVE-2025-8714).
 */
async function requireRestrictingPgRestore(tools: PgTools, env: NodeJS.ProcessEnv): Promise<void> {
  const { stdout } = await run(tools.pgRestore, ["--version"], env, "checking pg_restore's version");
  // A release says "15.14" (and maybe a packager's suffix); a pre-release "18beta1" has no minor and is refused.
  const version = /\(PostgreSQL\) (\d+)\.(\d+)/.exec(stdout);
  const [major, minor] = version ? [Number(version[1]), Number(version[2])] : [0, 0];
  const needed = RESTRICTING_MINOR[major];
  if (version && (major >= 18 || (needed !== undefined && minor >= needed))) return;
  throw new BackupError(
    `${tools.pgRestore} is ${version ? `${major}.${minor}` : `not a PostgreSQL release whose version I can read (${JSON.stringify(stdout.trim().slice(0, 60))}; pre-releases are refused)`}: ` +
      "restoring needs a pg_restore that writes \\restrict (13.22, 14.19, 15.14, 16.10, 17.6 or later; CVE-2025-8714). " +
      "Upgrade PostgreSQL's client tools, or point PG_BIN_DIR at a newer bin folder",
  );
}

/**
 * Run first, in the restore's transaction: every schema goes (CASCADE: its tables, views, functions,
 * types and the extensions in it), large objects too, and `public` comes back as a new database has
 * it (PostgreSQL 15+: owned by pg_database_owner, USAGE for PUBLIC; before 15: CREATE and USAGE). The
 * dump then creates exactly what the backup held. pg_restore's own --clean drops only the objects the
 * dump holds (doc/src/sgml/ref/pg_restore.sgml), so a table from a later migration would survive a
 * rollback to an older backup while its migration record went back, and the next deploy would fail.
 */
export const CLEAR_DATABASE_SQL = `DO $clear$
DECLARE
  schema_name text;
BEGIN
  FOR schema_name IN SELECT nspname FROM pg_namespace WHERE left(nspname, 3) <> 'pg_' AND nspname <> 'information_schema' LOOP
    EXECUTE format('DROP SCHEMA %I CASCADE', schema_name);
  END LOOP;
  PERFORM lo_unlink(oid) FROM pg_largeobject_metadata;
  IF current_setting('server_version_num')::int >= 150000 THEN
    CREATE SCHEMA public AUTHORIZATION pg_database_owner;
    GRANT USAGE ON SCHEMA public TO PUBLIC;
  ELSE
    CREATE SCHEMA public;
    GRANT CREATE, USAGE ON SCHEMA public TO PUBLIC;
  END IF;
  COMMENT ON SCHEMA public IS 'standard public schema';
END
$clear$;`;

/**
 * Restores `fromFile` into the database at `url`: the roles first (those that exist are kept, with their
 * passwords), then, in one transaction, the database cleared (CLEAR_DATABASE_SQL) and the dump's SQL
 * (pg_restore's script, run by psql with ON_ERROR_STOP between our BEGIN and a COMMIT sent only once
 * pg_restore exited 0): afterwards the database holds what the backup held and nothing else. The data is
 * never half-restored: a failing dump, a failing psql, or this process killed halfway leaves the database
 * as it was. The roles step runs before and outside that transaction: roles it
 * creates, and attributes and memberships it sets, stay even when the dump then fails (passwords are
 * never in the file). The script pg_restore 15.14+ writes starts with `\restrict` (CVE-2025-8714), so
 * psql runs no meta-command a crafted dump might hold.
 */
export async function restoreDatabase(url: string, fromFile: string, tools: PgTools = pgTools()): Promise<void> {
  const roles = checkBackupFiles(fromFile);
  const c = connection(url);
  await requireRestrictingPgRestore(tools, c.env);
  // "already exists" is expected for every role the target has; any other error stops the restore.
  const output = await run(
    tools.psql,
    ["--no-psqlrc", "--quiet", "--set", "ON_ERROR_STOP=0", "--dbname", c.url, "--file", roles],
    c.env,
    `restoring the roles of ${shown(roles)}`,
  );
  const failures = output.stderr.split("\n").filter((l) => /ERROR:/.test(l) && !/already exists/.test(l));
  if (failures.length > 0) throw new BackupError(`restoring the roles of ${shown(roles)} failed: ${failures.slice(0, 3).join(" | ")}`);
  await runPiped(
    { tool: tools.pgRestore, args: ["--exit-on-error", "--file", "-", fromFile] },
    { tool: tools.psql, args: ["--no-psqlrc", "--quiet", "--set", "ON_ERROR_STOP=1", "--dbname", c.url, "--file", "-"] },
    { before: `BEGIN;\n${CLEAR_DATABASE_SQL}\n`, after: "COMMIT;\n" },
    c.env,
    `restoring ${shown(fromFile)} into ${c.shown}`,
  );
}

/**
 * `producer | consumer`, both spawned without a shell, the consumer's input framed by `before` and `after`.
 * The transaction is ours, not psql's --single-transaction (which sends COMMIT whenever its input ends, and
 * before PostgreSQL 15 even after its own errors): `after`, the COMMIT, is written only once the producer
 * exited 0. Input that ends any other way (the producer failed, this process was killed, the pipe broke)
 * ends without COMMIT, and the server rolls the transaction back. The one that failed first is reported.
 */
function runPiped(
  producer: { tool: string; args: string[] },
  consumer: { tool: string; args: string[] },
  frame: { before: string; after: string },
  env: NodeJS.ProcessEnv,
  step: string,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const from = spawn(producer.tool, producer.args, { env, stdio: ["ignore", "pipe", "pipe"] });
    const into = spawn(consumer.tool, consumer.args, { env, stdio: ["pipe", "ignore", "pipe"] });
    let fromErr = "";
    let intoErr = "";
    from.stderr.on("data", (chunk: Buffer) => (fromErr += chunk.toString()));
    into.stderr.on("data", (chunk: Buffer) => (intoErr += chunk.toString()));
    // A consumer that stops reading (it failed) closes the pipe; that EPIPE is not the error to report.
    into.stdin.on("error", () => {});
    let fromCode: number | null | undefined;
    let intoCode: number | null | undefined;
    let spawnError: string | undefined;
    from.on("error", (err) => {
      spawnError ??= cannotRun(producer.tool, err);
      into.stdin.destroy();
      into.kill("SIGTERM");
    });
    into.on("error", (err) => {
      spawnError ??= cannotRun(consumer.tool, err);
      from.kill("SIGTERM");
    });
    let failedFirst: "producer" | "consumer" | undefined;
    const settle = () => {
      if (fromCode === undefined || intoCode === undefined) return;
      if (spawnError) return reject(new BackupError(`${step}: ${spawnError}`));
      // The one that failed first is the cause; the other was stopped because of it.
      if (failedFirst === "producer") return reject(exitedWith(step, producer.tool, fromCode, fromErr));
      if (failedFirst === "consumer") return reject(exitedWith(step, consumer.tool, intoCode, intoErr));
      resolve();
    };
    from.on("close", (code) => {
      fromCode = code;
      if (code !== 0) failedFirst ??= "producer";
      if (code === 0) into.stdin.end(frame.after);
      else into.kill("SIGTERM");
      settle();
    });
    into.on("close", (code) => {
      intoCode = code;
      if (code !== 0) failedFirst ??= "consumer";
      // The consumer is gone: whatever the producer still writes has nowhere to go.
      if (code !== 0 && fromCode === undefined) from.kill("SIGTERM");
      settle();
    });
    into.stdin.write(frame.before);
    from.stdout.pipe(into.stdin, { end: false });
  });
}
