// The rehearsal's stand-in for the backup container: the container's own script (its `sh -c`
// command) run by this machine's /bin/sh, with the container's PG* environment, Postgres resolved the
// way Docker's DNS would, the backups volume as the rehearsal's volume directory and a bind-mounted
// host directory kept inside the rehearsal's state (a rehearsal writes nothing outside it). Backups run
// on the schedule with whatever pg_dump this machine has; none at all is logged as a failed backup,
// exactly as a broken image would be.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { stopChild } from "./child-process.js";

export class BackupStandIn {
  private child: ChildProcess | undefined;
  /** Everything the script printed, for the report and the tests. */
  log = "";

  constructor(
    private readonly options: {
      command: string[];
      env: string[];
      volumeDir: string;
      /** The bind-mounted host directory, already mapped into the rehearsal's state, if any. */
      hostCopyDir?: string;
      resolve: (host: string, port: number) => { host: string; port: number } | undefined;
    },
  ) {}

  async start(): Promise<void> {
    const [shell, flag, script] = this.options.command;
    if (shell !== "sh" || flag !== "-c" || !script)
      throw new Error(`the backup stand-in runs only ["sh", "-c", <script>]; got ${JSON.stringify(this.options.command.slice(0, 2))}`);
    const env: Record<string, string> = Object.fromEntries(this.options.env.map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));
    const target = this.options.resolve(env.PGHOST ?? "", Number(env.PGPORT ?? 5432));
    if (!target) throw new Error(`the backup container's PGHOST ${env.PGHOST}:${env.PGPORT} does not resolve on the stack network`);
    mkdirSync(this.options.volumeDir, { recursive: true });
    if (this.options.hostCopyDir) mkdirSync(this.options.hostCopyDir, { recursive: true });
    this.child = spawn("/bin/sh", ["-c", script], {
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        ...env,
        PGHOST: target.host,
        PGPORT: String(target.port),
        BACKUP_DIR: this.options.volumeDir,
        // No bind mount: a directory that does not exist, so the script copies nowhere, as in Docker.
        HOST_COPY_DIR: this.options.hostCopyDir ?? join(this.options.volumeDir, ".no-host-copy"),
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child.stdout?.on("data", (c: Buffer) => (this.log += c.toString()));
    this.child.stderr?.on("data", (c: Buffer) => (this.log += c.toString()));
    // Running means the script got past its checks and announced its schedule.
    const deadline = Date.now() + 10_000;
    while (!/^backups: /m.test(this.log)) {
      if (this.child.exitCode !== null || Date.now() > deadline)
        throw new Error(`the backup script did not start: ${this.log.slice(-300) || "no output"}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  stop(): Promise<void> {
    return stopChild(this.child);
  }
}
