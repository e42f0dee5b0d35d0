// How a CLI ends (scripts/lib/cli/run-cli.ts): the exit code is set, not forced, so a large output to a
// pipe arrives whole (process.exit may cut a pipe write short: Node's process.exit docs), and a handle a
// library left open cannot hang a `pulumi up` step: the process ends after the grace period anyway.
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { inProject } from "../../core/project-root.js";

function runScript(body: string): Promise<{ code: number; stdout: string; stderr: string; ms: number }> {
  const file = join(mkdtempSync(join(tmpdir(), "kh-runcli-")), "cli.mts");
  writeFileSync(file, `import { runCli } from ${JSON.stringify(inProject("scripts/lib/cli/run-cli.ts"))};\n${body}\n`);
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", file],
      { cwd: inProject("."), maxBuffer: 64 * 1024 * 1024, timeout: 30_000 },
      (err, stdout, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout, stderr, ms: Date.now() - started });
      },
    );
  });
}

describe("runCli's ending", () => {
  it("delivers 8 MiB written just before the end to a pipe, byte for byte, with the code main returned", { timeout: 30_000 }, async () => {
    const { code, stdout } = await runScript(
      'await runCli(async () => { process.stdout.write("x".repeat(8 * 1024 * 1024)); return 3; }, { usage: "u" });',
    );
    expect(code).toBe(3);
    expect(stdout.length).toBe(8 * 1024 * 1024);
  });

  it("ends a process whose library left a handle open, with its code, instead of hanging", { timeout: 30_000 }, async () => {
    const { code, ms, stderr } = await runScript('await runCli(async () => { setInterval(() => {}, 1000); return 4; }, { usage: "u" });');
    expect(code).toBe(4);
    expect(stderr).toContain("still running 5 s after finishing: something left a handle open; exiting with 4");
    // The grace period is 5 s; the 30 s timeout above is what a hang would hit.
    expect(ms).toBeLessThan(25_000);
  });
});
