// Short-lived preview stacks (pr-<number>): create from the dev template with their own names and
// free host ports, list with age, destroy, prune stale ones. It refuses any other stack: dev,
// staging, prod and every production stack are never touched by it.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { missingPrerequisites, type Runner } from "../cli/shell.js";
import { type DevStackOptions, devStackUp } from "./dev-stack.js";
import { must, pulumiEnvironment } from "./pulumi-cli.js";
import { PROJECT, StackCommandError } from "./stack-file.js";

export const PREVIEW_STACK = /^pr-[1-9]\d{0,8}$/;
const LONG_LIVED = ["dev", "staging", "prod"];
/** Keys not copied from the dev template: a preview stack lets Docker pick free host ports. */
const NOT_COPIED = ["hasuraPort", "postgresPort"];

export function checkPreviewName(name: string | undefined): string {
  if (!name) throw new StackCommandError("--name is required, e.g. --name pr-42");
  if (LONG_LIVED.includes(name)) throw new StackCommandError(`"${name}" is a long-lived stack; preview-stack never touches dev, staging or prod`);
  if (!PREVIEW_STACK.test(name))
    throw new StackCommandError(`preview-stack only manages preview stacks named pr-<number> (e.g. pr-42); "${name}" is not one`);
  return name;
}

/** "90m", "12h", "3d", "2w" in milliseconds. */
export function parseAge(text: string): number {
  const match = /^(\d+)([mhdw])$/.exec(text);
  if (!match) throw new StackCommandError(`--older-than must be a number with m, h, d or w, such as 3d; got "${text}"`);
  const unit = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[match[2] as "m" | "h" | "d" | "w"];
  return Number(match[1]) * unit;
}

export function formatAge(ms: number): string {
  const hours = Math.floor(ms / 3_600_000);
  return hours >= 24 ? `${Math.floor(hours / 24)}d ${hours % 24}h` : `${hours}h ${Math.floor((ms % 3_600_000) / 60_000)}m`;
}

export interface StackSummary {
  name: string;
  /** When the stack was last deployed; undefined if never. */
  lastUpdate?: Date;
  resourceCount?: number;
}

/** `pulumi stack ls --json`, names reduced to the stack part (DIY backends may qualify them). */
export function parseStackList(json: string): StackSummary[] {
  const list = JSON.parse(json || "[]") as Array<{ name: string; lastUpdate?: string; resourceCount?: number }>;
  return list.map((s) => ({
    name: s.name.split("/").pop() as string,
    ...(s.lastUpdate ? { lastUpdate: new Date(s.lastUpdate) } : {}),
    ...(s.resourceCount !== undefined ? { resourceCount: s.resourceCount } : {}),
  }));
}

/** Preview stacks last deployed longer ago than `olderThanMs`; never-deployed ones are left alone and named. */
export function staleStacks(stacks: StackSummary[], now: Date, olderThanMs: number): { stale: StackSummary[]; skipped: string[] } {
  const previews = stacks.filter((s) => PREVIEW_STACK.test(s.name));
  return {
    stale: previews.filter((s) => s.lastUpdate !== undefined && now.getTime() - s.lastUpdate.getTime() > olderThanMs),
    skipped: previews.filter((s) => s.lastUpdate === undefined).map((s) => s.name),
  };
}

/** The dev template's plain values, without the fixed host ports. */
export function previewTemplate(repoRoot: string): Record<string, string> {
  const dev = parse(readFileSync(join(repoRoot, "Pulumi.dev.yaml"), "utf8")) as { config?: Record<string, unknown> };
  const template: Record<string, string> = {};
  for (const [fullKey, value] of Object.entries(dev.config ?? {})) {
    const key = fullKey.replace(`${PROJECT}:`, "");
    if (NOT_COPIED.includes(key) || (value !== null && typeof value === "object")) continue; // secure values are per stack
    template[key] = String(value);
  }
  return template;
}

export interface PreviewOptions {
  run: Runner;
  env: NodeJS.ProcessEnv;
  repoRoot: string;
  log: (line: string) => void;
  now?: Date;
}

function listStacks(o: PreviewOptions, env: NodeJS.ProcessEnv): StackSummary[] {
  return parseStackList(must(o.run, ["stack", "ls", "--json"], env, "Listing stacks"));
}

/** Refuses a stack whose config says production, whatever its name. */
function refuseProduction(o: PreviewOptions, env: NodeJS.ProcessEnv, name: string): void {
  const result = o.run("pulumi", ["config", "get", `${PROJECT}:production`, "--stack", name], { env });
  if (result.code === 0 && result.stdout.trim() === "true") {
    throw new StackCommandError(`Stack ${name} is a production stack (production: true); preview-stack never touches it`);
  }
}

/** The tools a command needs, checked before anything is written (a passphrase file included). */
function requireTools(o: PreviewOptions, tools: Array<"pulumi" | "docker">): void {
  const problems = missingPrerequisites(o.run, tools);
  if (problems.length > 0) throw new StackCommandError(problems.join("\n"));
}

export function previewUp(o: PreviewOptions, nameArg: string | undefined): number {
  const name = checkPreviewName(nameArg);
  requireTools(o, ["pulumi", "docker"]);
  const { env } = pulumiEnvironment(o.env, o.repoRoot);
  if (listStacks(o, env).some((s) => s.name === name)) refuseProduction(o, env, name);
  const options: DevStackOptions = { ...o, stack: name, passThrough: ["--yes"], template: previewTemplate(o.repoRoot) };
  const code = devStackUp(options);
  if (code !== 0) return code;
  const outputs = JSON.parse(must(o.run, ["stack", "output", "--json", "--stack", name], env, `Reading the outputs of ${name}`) || "{}") as Record<
    string,
    unknown
  >;
  o.log(`Preview stack ${name} is up (the smoke test ran as the last step of pulumi up):`);
  for (const key of ["graphqlUrl", "hasuraUrl", "consoleUrl", "postgresPort"]) if (outputs[key] !== undefined) o.log(`  ${key}: ${outputs[key]}`);
  return 0;
}

export function previewDown(o: PreviewOptions, nameArg: string | undefined): number {
  const name = checkPreviewName(nameArg);
  requireTools(o, ["pulumi", "docker"]);
  const { env } = pulumiEnvironment(o.env, o.repoRoot);
  refuseProduction(o, env, name);
  // --remove: the stack and its Pulumi.<name>.yaml go too. Preview volumes are not protected.
  return o.run("pulumi", ["destroy", "--yes", "--remove", "--stack", name], { env, interactive: true }).code;
}

export function previewList(o: PreviewOptions): StackSummary[] {
  requireTools(o, ["pulumi"]);
  const { env } = pulumiEnvironment(o.env, o.repoRoot);
  const now = o.now ?? new Date();
  const previews = listStacks(o, env).filter((s) => PREVIEW_STACK.test(s.name));
  if (previews.length === 0) o.log("No preview stacks.");
  for (const s of previews) {
    const age = s.lastUpdate ? `${formatAge(now.getTime() - s.lastUpdate.getTime())} since last update` : "never deployed";
    o.log(`${s.name.padEnd(10)} ${age}${s.resourceCount !== undefined ? `, ${s.resourceCount} resources` : ""}`);
  }
  return previews;
}

export function previewPrune(o: PreviewOptions, olderThan: string | undefined): number {
  const olderThanMs = parseAge(olderThan ?? "3d");
  requireTools(o, ["pulumi", "docker"]);
  const { env } = pulumiEnvironment(o.env, o.repoRoot);
  const { stale, skipped } = staleStacks(listStacks(o, env), o.now ?? new Date(), olderThanMs);
  for (const name of skipped) o.log(`Leaving ${name}: never deployed, so it has no age (npm run preview-stack -- down --name ${name} removes it).`);
  if (stale.length === 0) o.log(`No preview stack is older than ${olderThan ?? "3d"}.`);
  // One refused or failed stack does not stop the others; each is reported and the exit is non-zero.
  const failed: string[] = [];
  for (const s of stale) {
    o.log(`Tearing down ${s.name} (last updated ${s.lastUpdate?.toISOString()})`);
    try {
      if (previewDown(o, s.name) !== 0) failed.push(`${s.name}: pulumi destroy failed`);
    } catch (err) {
      if (!(err instanceof StackCommandError)) throw err;
      failed.push(`${s.name}: ${err.message}`);
    }
  }
  if (failed.length > 0) o.log(`Not torn down:\n${failed.map((f) => `  ${f}`).join("\n")}`);
  return failed.length === 0 ? 0 : 1;
}
