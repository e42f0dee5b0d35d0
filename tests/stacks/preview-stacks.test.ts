// npm run preview-stack: naming and refusal rules, prune's selection, and the command lines it builds
// (a recording runner stands in for the Pulumi CLI, which these machines do not have).
import { copyFileSync, existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  checkPreviewName,
  parseAge,
  parseStackList,
  previewDown,
  previewList,
  previewPrune,
  previewTemplate,
  previewUp,
  staleStacks,
} from "../../scripts/lib/stacks/preview-stacks.js";
import { StackCommandError } from "../../scripts/lib/stacks/stack-file.js";
import { pulumiLines, recordingRunner } from "../support/recording-runner.js";

const NOW = new Date("2026-11-26T12:00:00Z");
const STACKS = JSON.stringify([
  { name: "dev", current: true, lastUpdate: "2026-11-01T00:00:00.000Z", resourceCount: 23 },
  { name: "prod", lastUpdate: "2026-10-01T00:00:00.000Z", resourceCount: 21 },
  { name: "pr-7", lastUpdate: "2026-11-20T12:00:00.000Z", resourceCount: 23 },
  { name: "organization/kinde-hasura/pr-9", lastUpdate: "2026-11-26T10:00:00.000Z", resourceCount: 23 },
  { name: "pr-11" },
]);

function repo(): string {
  const dir = mkdtempSync(join(tmpdir(), "kh-preview-"));
  copyFileSync("Pulumi.dev.yaml", join(dir, "Pulumi.dev.yaml"));
  return dir;
}

function options(answers: Parameters<typeof recordingRunner>[0]) {
  const { run, calls } = recordingRunner({ "pulumi stack ls --json": { stdout: STACKS }, ...answers });
  const log: string[] = [];
  return { o: { run, env: {}, repoRoot: repo(), log: (l: string) => log.push(l), now: NOW }, calls, log };
}

describe("preview stack names", () => {
  it("accept pr-<number> only", () => {
    expect(checkPreviewName("pr-42")).toBe("pr-42");
    for (const bad of ["pr-0", "pr-", "pr-4x", "feature-1", "PR-42", "pr-42;rm"]) {
      expect(() => checkPreviewName(bad)).toThrow(`preview-stack only manages preview stacks named pr-<number> (e.g. pr-42); "${bad}" is not one`);
    }
  });

  it("never accept dev, staging or prod", () => {
    for (const name of ["dev", "staging", "prod"]) {
      expect(() => checkPreviewName(name)).toThrow(`"${name}" is a long-lived stack; preview-stack never touches dev, staging or prod`);
    }
  });
});

describe("prune's selection", () => {
  it("picks preview stacks not updated for longer than the threshold, never long-lived ones, and names the never-deployed", () => {
    const { stale, skipped } = staleStacks(parseStackList(STACKS), NOW, parseAge("3d"));
    expect(stale.map((s) => s.name)).toEqual(["pr-7"]);
    expect(skipped).toEqual(["pr-11"]);
    expect(staleStacks(parseStackList(STACKS), NOW, parseAge("1h")).stale.map((s) => s.name)).toEqual(["pr-7", "pr-9"]);
  });

  it("reads ages in minutes, hours, days and weeks and refuses anything else", () => {
    expect([parseAge("90m"), parseAge("12h"), parseAge("3d"), parseAge("2w")]).toEqual([5_400_000, 43_200_000, 259_200_000, 1_209_600_000]);
    expect(() => parseAge("3 days")).toThrow('--older-than must be a number with m, h, d or w, such as 3d; got "3 days"');
  });
});

describe("npm run preview-stack", () => {
  it("up: creates the stack from the dev template without its fixed ports, deploys (the program generates its credentials), prints URLs", () => {
    const { o, calls, log } = options({
      "pulumi stack output": { stdout: JSON.stringify({ graphqlUrl: "http://127.0.0.1:49153/v1/graphql", hasuraUrl: "http://127.0.0.1:49153" }) },
    });
    expect(previewUp(o, "pr-42")).toBe(0);
    expect(pulumiLines(calls)).toEqual([
      "stack ls --json",
      "stack select pr-42 --create --non-interactive",
      "config set kinde-hasura:hasuraConsole true --stack pr-42",
      "config set kinde-hasura:hasuraDevMode true --stack pr-42",
      "up --stack pr-42 --yes",
      "stack output --json --stack pr-42",
    ]);
    expect(log.slice(-3)).toEqual([
      "Preview stack pr-42 is up (the smoke test ran as the last step of pulumi up):",
      "  graphqlUrl: http://127.0.0.1:49153/v1/graphql",
      "  hasuraUrl: http://127.0.0.1:49153",
    ]);
  });

  it("copies every plain dev template value except the host ports", () => {
    expect(previewTemplate(repo())).toEqual({ hasuraConsole: "true", hasuraDevMode: "true" });
  });

  it("refuses to touch a pr-<N> stack whose config says production", () => {
    const { o, calls } = options({ "pulumi config get kinde-hasura:production --stack pr-7": { stdout: "true\n" } });
    expect(() => previewUp(o, "pr-7")).toThrow("Stack pr-7 is a production stack (production: true); preview-stack never touches it");
    expect(() => previewDown(o, "pr-7")).toThrow(StackCommandError);
    expect(pulumiLines(calls).some((l) => l.startsWith("up") || l.startsWith("destroy") || l.startsWith("config set"))).toBe(false);
  });

  it("down: destroys the stack with its volume and removes the stack and its config file", () => {
    const { o, calls } = options({ "pulumi config get": { code: 255, stderr: "not set" } });
    expect(previewDown(o, "pr-42")).toBe(0);
    expect(pulumiLines(calls).at(-1)).toBe("destroy --yes --remove --stack pr-42");
    expect(() => previewDown(o, "prod")).toThrow('"prod" is a long-lived stack');
  });

  it("list: shows preview stacks with their age", () => {
    const { o, log } = options({});
    previewList(o);
    expect(log).toEqual([
      "pr-7       6d 0h since last update, 23 resources",
      "pr-9       2h 0m since last update, 23 resources",
      "pr-11      never deployed",
    ]);
  });

  it("prune: tears down only the stale preview stacks", () => {
    const { o, calls, log } = options({ "pulumi config get": { code: 255 } });
    expect(previewPrune(o, "3d")).toBe(0);
    expect(pulumiLines(calls).filter((l) => l.startsWith("destroy"))).toEqual(["destroy --yes --remove --stack pr-7"]);
    expect(log[0]).toBe("Leaving pr-11: never deployed, so it has no age (npm run preview-stack -- down --name pr-11 removes it).");
  });

  it("prune: goes on past a refused stack, reports it, and exits non-zero", () => {
    const { o, calls, log } = options({
      "pulumi config get kinde-hasura:production --stack pr-7": { stdout: "true\n" },
      "pulumi config get": { code: 255 },
    });
    expect(previewPrune(o, "1h")).toBe(1);
    expect(pulumiLines(calls).filter((l) => l.startsWith("destroy"))).toEqual(["destroy --yes --remove --stack pr-9"]);
    expect(log.at(-1)).toBe("Not torn down:\n  pr-7: Stack pr-7 is a production stack (production: true); preview-stack never touches it");
  });

  it("checks for the Pulumi CLI before writing anything, with the install hint", () => {
    for (const run of [
      (o: ReturnType<typeof options>["o"]) => previewUp(o, "pr-42"),
      (o: ReturnType<typeof options>["o"]) => previewList(o),
      (o: ReturnType<typeof options>["o"]) => previewPrune(o, "3d"),
    ]) {
      const { o, calls } = options({ pulumi: { code: 127 } });
      expect(() => run(o)).toThrow(/^The Pulumi CLI is not installed \(no `pulumi` on PATH\)\. Install it: https:\/\/www\.pulumi\.com/);
      expect(existsSync(join(o.repoRoot, ".pulumi"))).toBe(false);
      expect(pulumiLines(calls)).toEqual([]);
    }
  });
});
