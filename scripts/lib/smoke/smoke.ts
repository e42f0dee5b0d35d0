// The smoke test: against a running stack, prove who can read and write what. Two users are seeded
// with unique ids through the admin secret and removed at the end, also when a check fails. The
// checks themselves are a table (checks.ts); a session (session.ts) holds what they work with.
import { describeFetchError } from "../net/fetch-error.js";
import { SMOKE_CHECKS, type SmokeCheck } from "./checks.js";
import { SmokeError, type SmokePath, SmokeSession, type SmokeTarget } from "./session.js";
import { subscriptionChecks } from "./subscription-checks.js";
import { tableChecks } from "./table-checks.js";
import { TableFixture } from "./table-fixture.js";

export { SmokeError, type SmokeTarget, userIdOfToken } from "./session.js";

export interface CheckResult {
  name: string;
  expected: string;
  got: string;
  ms: number;
  ok: boolean;
  /** The response body, secrets masked, for a failed check. */
  body?: string;
}

export interface SmokeReport {
  path: SmokePath;
  checks: CheckResult[];
}

/** Polls /healthz until it answers 200 or the deadline passes; the error names the URL and the last answer. */
export async function waitForHealthy(endpoint: string, timeoutMs: number, log: (line: string) => void): Promise<void> {
  const url = `${endpoint.replace(/\/+$/, "")}/healthz`;
  const started = Date.now();
  let last = "no answer yet";
  while (Date.now() - started < timeoutMs) {
    try {
      const remaining = Math.max(1, timeoutMs - (Date.now() - started));
      const response = await fetch(url, { signal: AbortSignal.timeout(Math.min(5_000, remaining)) });
      const text = (await response.text()).trim();
      // Hasura's own answers (server/src-lib/Hasura/Server/App.hs healthz): "OK", or with inconsistent
      // metadata "WARN: inconsistent objects in schema". Any other 200 is not Hasura.
      if (response.status === 200 && (text === "OK" || text === "WARN: inconsistent objects in schema")) {
        log(`Hasura at ${url} is healthy (${text}) after ${Date.now() - started} ms`);
        return;
      }
      last = `HTTP ${response.status} ${text.slice(0, 100)}`;
    } catch (err) {
      last = describeFetchError(err);
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(500, Math.max(0, timeoutMs - (Date.now() - started)))));
  }
  throw new SmokeError(`Hasura at ${url} did not answer as Hasura does (200 "OK") within ${Math.round(timeoutMs / 1000)} s (last: ${last})`);
}

/**
 * Waits for Hasura, seeds, runs every check that applies to the target in order (the token checks, then
 * for every owned table of the access policy its derived checks, then the subscriptions), prints each
 * table's time, and always cleans up.
 */
export async function runSmoke(t: SmokeTarget, checks: SmokeCheck[] = SMOKE_CHECKS): Promise<SmokeReport> {
  await waitForHealthy(t.endpoint, t.healthTimeoutMs, t.log);
  const session = await SmokeSession.open(t);
  await session.seed();
  const results: CheckResult[] = [];
  let fixture: TableFixture | undefined;
  try {
    if (t.access) {
      fixture = await TableFixture.open(session, t.access);
      await fixture.seed();
    } else {
      t.log("WARNING: no access policy was given: the per-table and subscription checks do not run.");
    }
    const all = [...checks, ...(fixture ? [...tableChecks(fixture), ...subscriptionChecks(fixture)] : [])];
    const groups = new Map<string, { checks: number; ms: number }>();
    for (const check of all) {
      if (check.applies && !check.applies(session)) continue;
      const started = performance.now();
      const { expected, response, got, ok } = await check.run(session);
      session.step = `after "${check.name}"`;
      results.push({ name: check.name, expected, got, ms: response.ms, ok, ...(ok ? {} : { body: session.mask(response.text) }) });
      t.log(`${ok ? "PASS" : "FAIL"}  ${check.name}: expected ${expected}, got ${got} (${response.ms} ms)`);
      if (check.group) {
        const g = groups.get(check.group) ?? { checks: 0, ms: 0 };
        groups.set(check.group, { checks: g.checks + 1, ms: g.ms + (performance.now() - started) });
      }
    }
    for (const [group, g] of groups) t.log(`Time for ${group}: ${g.checks} checks in ${Math.round(g.ms)} ms`);
  } finally {
    await fixture?.cleanUp();
    await session.cleanUp();
  }
  return { path: session.path, checks: results };
}

/** The closing lines: which path was taken, and each failed check with its (masked) body. */
export function summarize(report: SmokeReport): { ok: boolean; lines: string[] } {
  const failed = report.checks.filter((c) => !c.ok);
  const lines = [`${report.checks.length - failed.length} passed, ${failed.length} failed (allowed checks used ${report.path})`];
  for (const f of failed) lines.push(`FAILED ${f.name}: expected ${f.expected}, got ${f.got}\n  response: ${f.body}`);
  return { ok: failed.length === 0, lines };
}
