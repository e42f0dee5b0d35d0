// Stopping a stand-in that is a child process (Caddy, the backup script), as `docker stop` would:
// SIGTERM, and return once it has exited.
import type { ChildProcess } from "node:child_process";

export async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}
