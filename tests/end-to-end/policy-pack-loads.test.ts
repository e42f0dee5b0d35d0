// The policy pack loaded the way `pulumi preview --policy-pack infra/policy` loads it: Pulumi's own
// analyzer entry (cmd/run-policy-pack), CommonJS require with ts-node type-checking, in the pack's
// folder. A pack that loads starts its gRPC server on 127.0.0.1 and prints the port.
import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";

describe("the policy pack", () => {
  it("loads under Pulumi's policy-pack runtime and serves its policies", { timeout: 90_000 }, async () => {
    const entry = resolve("node_modules/@pulumi/pulumi/cmd/run-policy-pack/index.js");
    // The first argument is the engine address, which the entry drops before loading the pack.
    const child = spawn(process.execPath, [entry, "127.0.0.1:1", "."], { cwd: resolve("infra/policy"), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    const firstLine = await new Promise<string>((done) => {
      child.stdout.on("data", (d) => {
        stdout += d;
        if (stdout.includes("\n")) done(stdout.split("\n")[0] as string);
      });
      child.on("exit", () => done(stdout));
      setTimeout(() => done(stdout), 80_000);
    });
    child.kill();
    expect(stderr).toBe("");
    expect(firstLine).toMatch(/^\d{2,5}$/);
  });
});
