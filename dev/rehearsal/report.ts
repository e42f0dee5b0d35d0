// What `npm run rehearse` prints: timeline, the smoke's table, the critical path, and the verdict.
import type { RehearsalReport } from "./rehearse.js";

export function formatReport(r: RehearsalReport): string[] {
  const lines = [`REHEARSAL of stack ${r.stack} (a test double of the engine, Docker and Hasura: not a deploy)`, ""];
  lines.push("Timeline (ms since start; stand-ins start in milliseconds where Docker takes seconds):");
  lines.push(`  ${"step".padEnd(22)} ${"operation".padEnd(9)} ${"start".padStart(7)} ${"ms".padStart(7)}`);
  for (const t of r.timeline)
    lines.push(`  ${t.name.padEnd(22)} ${t.operation.padEnd(9)} ${String(t.start).padStart(7)} ${String(t.ms).padStart(7)}${t.ok ? "" : "  FAILED"}`);
  if (r.smokeOutput !== undefined)
    lines.push(
      "",
      "Smoke test (the deployment gate's own output):",
      ...r.smokeOutput
        .trim()
        .split("\n")
        .map((l) => `  ${l}`),
    );
  if (r.edge) {
    lines.push("", `Through the TLS edge ${r.edge.url} (Debian's Caddy, tls internal, the same Caddyfile generator):`);
    lines.push(
      ...r.edge.smokeOutput
        .trim()
        .split("\n")
        .filter((l) => !l.startsWith("PASS"))
        .map((l) => `  ${l}`),
    );
    lines.push(
      `  POST /v1/metadata through the edge: HTTP ${r.edge.metadataStatus}${r.edge.metadataStatus === 404 ? " (refused, as it must be)" : " (NOT refused)"}`,
    );
  }
  for (const b of r.backups ?? []) {
    lines.push(
      "",
      `Backup container ${b.container} (its own script under this machine's /bin/sh; backups run on its schedule):`,
      ...b.log
        .trim()
        .split("\n")
        .map((l) => `  ${l}`),
    );
  }
  lines.push("", `Critical path (${r.criticalPath.length} steps in sequence): ${r.criticalPath.map((n) => n.name).join(" -> ")}`);
  lines.push("Who waits for whom:", ...r.waits.map((w) => `  ${w.step} waits for ${w.waitsFor.join(", ") || "nothing"}`));
  if (r.notes.length > 0) lines.push("", ...r.notes.map((n) => `Note: ${n}`));
  const warnings = r.diagnostics.filter((d) => d.startsWith("warning:"));
  if (warnings.length > 0) lines.push("", "The program's warnings:", ...warnings.map((w) => `  ${w}`));
  if (r.removed.length > 0) lines.push("", `Removed from the state (no longer declared): ${r.removed.join(", ")}`);
  const counts = ["create", "update", "replace", "same"].map((op) => `${r.timeline.filter((t) => t.operation === op).length} ${op}`).join(", ");
  lines.push(
    "",
    r.ok ? `Rehearsal passed: ${r.timeline.length} resources (${counts}).` : `Rehearsal FAILED at step ${r.failure?.step}:\n${r.failure?.message}`,
  );
  return lines;
}
