// The few Hasura metadata API calls the scripts make (POST /v1/metadata, admin secret header), with
// errors that say what was expected and what came back. The admin secret is sent, never shown.

import { ExpectedFailure } from "../../../core/expected-failure.js";
import { describeFetchError } from "../net/fetch-error.js";
import { assertHeaderValues } from "../net/graphql.js";
import type { Metadata } from "./metadata.js";

export interface HasuraTarget {
  /** Base URL, e.g. http://127.0.0.1:8080 */
  endpoint: string;
  adminSecret: string;
  /** Per request. Default 15 s. */
  timeoutMs?: number;
}

export class HasuraError extends ExpectedFailure {}

interface InconsistentObject {
  type?: string;
  name?: string;
  reason?: string;
  definition?: unknown;
}

/** Sends one metadata API request; returns the JSON body of a 2xx answer, throws HasuraError otherwise. */
export async function metadataRequest(target: HasuraTarget, body: Record<string, unknown>): Promise<Record<string, unknown>> {
  const url = `${target.endpoint.replace(/\/+$/, "")}/v1/metadata`;
  try {
    assertHeaderValues({ "x-hasura-admin-secret": target.adminSecret });
  } catch (err) {
    throw new HasuraError(`${(err as Error).message} (HASURA_GRAPHQL_ADMIN_SECRET)`);
  }
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", "x-hasura-admin-secret": target.adminSecret },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(target.timeoutMs ?? 15_000),
    });
  } catch (err) {
    throw new HasuraError(`Cannot reach Hasura at ${url}: ${describeFetchError(err, target.timeoutMs ?? 15_000)}. Is the stack up (npm run up)?`);
  }
  const text = await response.text();
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new HasuraError(`${body.type} at ${url}: expected a JSON answer, got HTTP ${response.status}: ${text.slice(0, 200)}`);
  }
  if (response.ok) return json;
  if (json.code === "access-denied" || response.status === 401) {
    throw new HasuraError(
      `${body.type} at ${url}: the admin secret was rejected (HTTP ${response.status}: ${json.error}). Check HASURA_GRAPHQL_ADMIN_SECRET.`,
    );
  }
  const internal = Array.isArray(json.internal) ? (json.internal as InconsistentObject[]) : [];
  throw new HasuraError(
    `${body.type} at ${url} failed with HTTP ${response.status} (${json.code}): ${json.error}` +
      (internal.length > 0 ? `\n${describeInconsistencies(internal)}` : ""),
  );
}

export function describeInconsistencies(objects: InconsistentObject[]): string {
  return objects.map((o) => `  - ${o.type ?? "object"} ${o.name ?? JSON.stringify(o.definition)}: ${o.reason ?? "inconsistent"}`).join("\n");
}

/**
 * Replaces the server's metadata with `body` (refused whole if inconsistent), reloads, and fails,
 * listing each object, if the server then reports anything inconsistent. Only the documented success
 * answers count (server/src-lib/Hasura/RQL/DDL/Metadata.hs: replace_metadata v2 answers
 * formatInconsistentObjs, `{is_consistent, inconsistent_objects}`; reload_metadata adds
 * `is_consistent` to `{message: "success"}`): any other 2xx body, `{"errors": …}` included, is a failure.
 */
export async function applyMetadata(target: HasuraTarget, body: Record<string, unknown>): Promise<void> {
  const replaced = await metadataRequest(target, body);
  if (replaced.is_consistent !== true) {
    const objects = (replaced.inconsistent_objects as InconsistentObject[] | undefined) ?? [];
    throw new HasuraError(
      objects.length > 0
        ? `replace_metadata left inconsistent objects:\n${describeInconsistencies(objects)}`
        : `replace_metadata answered without is_consistent: true; got ${JSON.stringify(replaced).slice(0, 200)}`,
    );
  }
  const reload = await metadataRequest(target, {
    type: "reload_metadata",
    args: { reload_remote_schemas: true, reload_sources: true, recreate_event_triggers: true },
  });
  if (reload.is_consistent === false) {
    const objects = (reload.inconsistent_objects as InconsistentObject[] | undefined) ?? [];
    throw new HasuraError(`Metadata applied, but Hasura reports inconsistent objects after reload:\n${describeInconsistencies(objects)}`);
  }
  if (reload.is_consistent !== true || reload.message !== "success") {
    throw new HasuraError(`reload_metadata answered without {message: "success", is_consistent: true}; got ${JSON.stringify(reload).slice(0, 200)}`);
  }
}

export async function exportMetadata(target: HasuraTarget): Promise<Metadata> {
  const answer = await metadataRequest(target, { type: "export_metadata", version: 2, args: {} });
  const metadata = answer.metadata as Metadata | undefined;
  if (!metadata || !Array.isArray(metadata.sources)) {
    throw new HasuraError(`export_metadata: expected {resource_version, metadata: {version, sources}}, got ${JSON.stringify(answer).slice(0, 200)}`);
  }
  return metadata;
}
