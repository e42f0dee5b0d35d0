// npm run rehearse [-- --stack <name>] [--state-dir <path>]
// A deploy REHEARSAL: the whole `pulumi up` of a stack without the Pulumi CLI, Docker or Hasura. The
// program runs as the engine starts it, every local command (migrations, metadata, smoke) runs for
// real, and the containers are stand-ins (a real PostgreSQL; a Hasura stand-in configured only from
// the container's environment; for Kinde-mode stacks, a JWKS on 127.0.0.1). State is kept in
// .rehearsal/<stack>/ (git-ignored; secrets encrypted), so a second rehearsal runs only what changed.
// It is a test double of the engine, Docker and Hasura, never a deploy.
import { parseArgs } from "node:util";
import { runCli } from "./lib/cli.js";
import { UsageError } from "./lib/env.js";
import { fromCaller, inProject, PROJECT_ROOT } from "./lib/project-root.js";
import { RehearsalError, rehearse, type RehearsalReport } from "./lib/rehearsal/rehearse.js";

const USAGE = "usage: npm run rehearse [-- --stack <name>] [--state-dir <path>]";

async function main(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: { stack: { type: "string", default: "dev" }, "state-dir": { type: "string" } } }));
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n${USAGE}`);
  }
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/.test(values.stack)) throw new UsageError(`--stack must be a stack name such as dev or pr-42; got ${JSON.stringify(values.stack)}`);
  const report = await rehearse({
    projectRoot: PROJECT_ROOT,
    stack: values.stack,
    stateRoot: values["state-dir"] ? fromCaller(values["state-dir"]) : inProject(".rehearsal"),
    env: process.env,
    log: (line) => console.log(line),
  });
  console.log(formatReport(report).join("\n"));
  return report.ok ? 0 : 1;
}

export function formatReport(r: RehearsalReport): string[] {
  const lines = [`REHEARSAL of stack ${r.stack} (a test double of the engine, Docker and Hasura: not a deploy)`, ""];
  lines.push("Timeline (ms since start; stand-ins start in milliseconds where Docker takes seconds):");
  lines.push(`  ${"step".padEnd(22)} ${"operation".padEnd(9)} ${"start".padStart(7)} ${"ms".padStart(7)}`);
  for (const t of r.timeline) lines.push(`  ${t.name.padEnd(22)} ${t.operation.padEnd(9)} ${String(t.start).padStart(7)} ${String(t.ms).padStart(7)}${t.ok ? "" : "  FAILED"}`);
  if (r.smokeOutput !== undefined) lines.push("", "Smoke test (the deployment gate's own output):", ...r.smokeOutput.trim().split("\n").map((l) => `  ${l}`));
  lines.push("", `Critical path (${r.criticalPath.length} steps in sequence): ${r.criticalPath.map((n) => n.name).join(" -> ")}`);
  lines.push("Who waits for whom:", ...r.waits.map((w) => `  ${w.step} waits for ${w.waitsFor.join(", ") || "nothing"}`));
  if (r.notes.length > 0) lines.push("", ...r.notes.map((n) => `Note: ${n}`));
  if (r.removed.length > 0) lines.push("", `Removed from the state (no longer declared): ${r.removed.join(", ")}`);
  const counts = ["create", "update", "replace", "same"].map((op) => `${r.timeline.filter((t) => t.operation === op).length} ${op}`).join(", ");
  lines.push("", r.ok ? `Rehearsal passed: ${r.timeline.length} resources (${counts}).` : `Rehearsal FAILED at step ${r.failure?.step}:\n${r.failure?.message}`);
  return lines;
}

await runCli(() => main(process.argv.slice(2)), [RehearsalError]);
