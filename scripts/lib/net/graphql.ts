// One GraphQL request to Hasura and how to read its answer. Hasura answers /v1/graphql errors, auth
// errors included, with HTTP 200: an answer is judged by `errors[0].extensions.code`, never the status.
import { ExpectedFailure } from "../../../core/expected-failure.js";

export type Answer =
  | { kind: "data"; data: Record<string, unknown> }
  | { kind: "error"; code: string; message: string }
  | { kind: "unreadable"; status: number; text: string };

/** What an answer body means, whatever its HTTP status. */
export function classify(status: number, text: string): Answer {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { kind: "unreadable", status, text };
  }
  const b = body as { data?: unknown; errors?: Array<{ message?: string; extensions?: { code?: string } }>; code?: string; error?: string };
  if (Array.isArray(b.errors) && b.errors.length > 0) {
    const first = b.errors[0] ?? {};
    return { kind: "error", code: first.extensions?.code ?? "unknown", message: first.message ?? "" };
  }
  // Some server errors come as {error, code} without the GraphQL envelope.
  if (typeof b.code === "string" && typeof b.error === "string") return { kind: "error", code: b.code, message: b.error };
  if (b.data && typeof b.data === "object") return { kind: "data", data: b.data as Record<string, unknown> };
  return { kind: "unreadable", status, text };
}

export interface GraphqlRequest {
  query: string;
  variables?: Record<string, unknown>;
  headers?: Record<string, string>;
}

export interface GraphqlResponse {
  answer: Answer;
  /** The raw body, for failure reports. */
  text: string;
  ms: number;
}

/** A header value fetch would refuse; its message names the header, never the value (it may be a secret). */
export class HeaderValueError extends ExpectedFailure {
  constructor(header: string) {
    super(
      `The ${header} header would hold characters an HTTP header cannot carry (a newline, another control character or non-ASCII); check the value it comes from`,
    );
  }
}

/** Refuses before sending: fetch's own error would quote the value, and a header may carry a secret. */
export function assertHeaderValues(headers: Record<string, string>): void {
  for (const [name, value] of Object.entries(headers)) {
    if (!/^[\t\x20-\x7e]*$/.test(value)) throw new HeaderValueError(name);
  }
}

export async function graphql(endpoint: string, request: GraphqlRequest, timeoutMs = 10_000): Promise<GraphqlResponse> {
  assertHeaderValues(request.headers ?? {});
  const started = performance.now();
  const response = await fetch(`${endpoint.replace(/\/+$/, "")}/v1/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", ...request.headers },
    body: JSON.stringify({ query: request.query, variables: request.variables ?? {} }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await response.text();
  return { answer: classify(response.status, text), text, ms: Math.round(performance.now() - started) };
}
