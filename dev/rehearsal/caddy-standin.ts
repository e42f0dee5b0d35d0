// The rehearsal's stand-in for the TLS edge container: Debian's Caddy (the `caddy` package) on
// 127.0.0.1, with a Caddyfile from the same generator as the container's (core/caddyfile.ts), but for
// `https://127.0.0.1:<port>` with Caddy's local CA (`tls internal`) instead of Let's Encrypt, and with
// the upstream the container names resolved the way Docker's DNS would.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { caddyfile } from "../../core/caddyfile.js";
import { freePort } from "../../scripts/lib/net/free-port.js";
import { stopChild } from "./child-process.js";

export class CaddyStandIn {
  private child: ChildProcess | undefined;
  /** PEM of the local CA that signs the edge's certificate: a client trusts it to verify the edge. */
  caFile = "";

  constructor(
    private readonly options: {
      /** The container's uploaded Caddyfile: only its upstream is read from it. */
      uploaded: string;
      resolve: (host: string, port: number) => { host: string; port: number } | undefined;
      port: number;
      dataDir: string;
    },
  ) {}

  get url(): string {
    return `https://127.0.0.1:${this.options.port}`;
  }

  async start(): Promise<void> {
    if (spawnSync("caddy", ["version"]).status !== 0) {
      throw new Error("the rehearsal stands in for the TLS edge with Debian's Caddy: install it (apt-get install caddy)");
    }
    const upstream = /reverse_proxy (\S+):(\d+)/.exec(this.options.uploaded);
    if (!upstream) throw new Error("the edge's Caddyfile names no reverse_proxy upstream");
    const target = this.options.resolve(upstream[1] as string, Number(upstream[2]));
    if (!target) throw new Error(`the edge's upstream ${upstream[1]}:${upstream[2]} does not resolve on the stack network`);
    mkdirSync(this.options.dataDir, { recursive: true });
    const file = join(this.options.dataDir, "Caddyfile");
    writeFileSync(
      file,
      caddyfile({
        siteAddress: this.url,
        tls: { kind: "internal" },
        upstream: `${target.host}:${target.port}`,
        local: { httpPort: await freePort(), httpsPort: this.options.port },
      }),
    );
    const env = { ...process.env, XDG_DATA_HOME: this.options.dataDir, XDG_CONFIG_HOME: this.options.dataDir, HOME: this.options.dataDir };
    this.child = spawn("caddy", ["run", "--config", file, "--adapter", "caddyfile"], { env, stdio: ["ignore", "ignore", "pipe"] });
    let log = "";
    this.child.stderr?.on("data", (c: Buffer) => (log += c.toString()));
    this.caFile = join(this.options.dataDir, "caddy", "pki", "authorities", "local", "root.crt");
    const deadline = Date.now() + 15_000;
    while (!(existsSync(this.caFile) && /serving initial configuration|server running/.test(log))) {
      if (this.child.exitCode !== null || Date.now() > deadline) throw new Error(`caddy did not start: ${log.slice(-300)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  stop(): Promise<void> {
    return stopChild(this.child);
  }
}
