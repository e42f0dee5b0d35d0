// A real Caddy (Debian's caddy package, installed by .ci/run) on 127.0.0.1 with its own data folder
// and ports, serving a Caddyfile from core/caddyfile.ts with `tls internal`; its local CA's root is
// returned so clients can verify it without any trust store.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { caddyfile, type EdgeConfig } from "../../core/caddyfile.js";
import { freePort } from "../../scripts/lib/net/free-port.js";

export interface RunningCaddy {
  origin: string;
  port: number;
  /** PEM of Caddy's local root CA. */
  ca: string;
  stop(): Promise<void>;
}

export async function startCaddy(upstream: string): Promise<RunningCaddy> {
  const dir = mkdtempSync(join(tmpdir(), "kh-caddy-"));
  const [httpPort, httpsPort] = [await freePort(), await freePort()];
  const config: EdgeConfig = { siteAddress: `https://127.0.0.1:${httpsPort}`, tls: { kind: "internal" }, upstream, local: { httpPort, httpsPort } };
  const file = join(dir, "Caddyfile");
  writeFileSync(file, caddyfile(config));
  const child: ChildProcess = spawn("caddy", ["run", "--config", file, "--adapter", "caddyfile"], {
    env: { ...process.env, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir, HOME: dir },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let log = "";
  child.stderr?.on("data", (c: Buffer) => (log += c.toString()));
  const root = join(dir, "caddy", "pki", "authorities", "local", "root.crt");
  const deadline = Date.now() + 15_000;
  // Ready when the local CA exists and the port accepts connections.
  while (!(existsSync(root) && /serving initial configuration|server running/.test(log))) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`caddy did not start: ${log.slice(-500)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    origin: `https://127.0.0.1:${httpsPort}`,
    port: httpsPort,
    ca: readFileSync(root, "utf8"),
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}
