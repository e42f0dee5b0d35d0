// `npm run rehearse` as a person runs it: usage errors exit 2, a rehearsal that cannot start or that
// fails exits 1 with one clear message, never a stack trace. (The rehearsal is a test double of the
// engine, Docker and Hasura.)
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { projectCopy } from "../support/project-copy.js";

const exec = promisify(execFile);

async function rehearseCli(root: string, args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, ["--import", "tsx", join(root, "dev", "rehearse.ts"), ...args], {
      cwd: root,
      timeout: 60_000,
      // Pulumi's own switch: the type-check is tsc's and the dev rehearsal's to prove.
      env: { ...process.env, PULUMI_NODEJS_TRANSPILE_ONLY: "true" },
    });
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr };
  }
}

describe("npm run rehearse (stand-ins for the engine, Docker and Hasura)", () => {
  const copy = projectCopy("rehearse-cli");

  it("exits 2 with the usage on an unknown flag, a missing value or an empty state folder", async () => {
    for (const args of [["--bogus"], ["--stack"], ["--state-dir", ""], ["--stack", "../etc"]]) {
      const { code, out } = await rehearseCli(copy.root, args);
      expect(code, args.join(" ")).toBe(2);
      expect(out).not.toMatch(/\n\s+at /);
    }
    expect((await rehearseCli(copy.root, ["--bogus"])).out).toContain("usage: npm run rehearse [-- --stack <name>] [--state-dir <path>]");
  }, 60_000);

  it("exits 1 naming the problem when the stack has no stack file or the state folder is a file", async () => {
    const missing = await rehearseCli(copy.root, ["--stack", "stagign", "--state-dir", copy.stateRoot]);
    expect(missing.code).toBe(1);
    expect(missing.out.trim()).toBe(
      `There is no Pulumi.stagign.yaml in ${copy.root}: rehearse a stack that has one (dev, staging), or check the name`,
    );
    const file = await rehearseCli(copy.root, ["--state-dir", join(copy.root, "package.json")]);
    expect(file.code).toBe(1);
    expect(file.out).toMatch(/^Cannot use .*package\.json as the rehearsal state folder: /);
    expect(file.out).not.toMatch(/\n\s+at /);
  }, 60_000);

  it("exits 1 and names the failed step when the deploy fails: here a step whose script path is wrong", async () => {
    copy.edit("core/steps.ts", 'script: "scripts/metadata.ts"', 'script: "scripts/metdata.ts"');
    const { code, out } = await rehearseCli(copy.root, ["--state-dir", copy.stateRoot]);
    expect(code).toBe(1);
    expect(out).toContain("Rehearsal FAILED at step metadata-run:");
    expect(out).toContain('running "node --import tsx scripts/metdata.ts apply"');
    expect(out).toMatch(/Cannot find module .*scripts\/metdata\.ts/);
    expect(out).toContain("REHEARSAL of stack dev (a test double of the engine, Docker and Hasura: not a deploy)");
  }, 60_000);
});
