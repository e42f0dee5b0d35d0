// A local HTTP server on 127.0.0.1 that answers with *recorded* Hasura response bodies (shapes from
// hasura/graphql-engine docs/docs/api-reference/metadata-api/manage-metadata.mdx and
// server/src-lib/Hasura/Base/Error.hs), one per request in order, and records what it was sent.
// It proves what our scripts send and how they read answers; it proves nothing about Hasura itself.
import { createServer, type Server } from "node:http";

export interface RecordedAnswer {
  status: number;
  body: unknown;
}

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

export interface RecordedHasura {
  url: string;
  received: ReceivedRequest[];
  close(): Promise<void>;
}

/** Answers in order, or computed per request (e.g. by the GraphQL operation it carries). */
export async function recordedHasura(
  answers: RecordedAnswer[] | ((req: ReceivedRequest) => RecordedAnswer | Promise<RecordedAnswer>),
): Promise<RecordedHasura> {
  const received: ReceivedRequest[] = [];
  const queue = Array.isArray(answers) ? [...answers] : [];
  const server: Server = createServer((req, res) => {
    let data = "";
    req.on("data", (chunk) => (data += chunk));
    req.on("end", async () => {
      const request = { method: req.method ?? "", path: req.url ?? "", headers: req.headers, body: parseBody(data) };
      received.push(request);
      const answer = Array.isArray(answers)
        ? (queue.shift() ?? { status: 500, body: { error: "no recorded answer left", code: "unexpected" } })
        : await answers(request);
      res.writeHead(answer.status, { "content-type": "application/json" });
      res.end(typeof answer.body === "string" ? answer.body : JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** JSON bodies parsed; anything else (a form) kept as text. */
function parseBody(data: string): unknown {
  if (!data) return undefined;
  try {
    return JSON.parse(data);
  } catch {
    return data;
  }
}

/** Recorded bodies, as Hasura v2 answers them. */
export const RECORDED = {
  success: { message: "success" },
  /** replace_metadata version 2 (Hasura/RQL/DDL/Metadata.hs runReplaceMetadataV2: formatInconsistentObjs). */
  replacedConsistent: { is_consistent: true, inconsistent_objects: [] },
  reloadConsistent: { is_consistent: true, message: "success" },
  reloadInconsistent: {
    is_consistent: false,
    message: "success",
    inconsistent_objects: [
      {
        definition: { role: "user", table: { name: "users", schema: "public" } },
        name: "select_permission user on table users in source default",
        reason: 'Inconsistent object: in table "users": no such column exists: "email"',
        type: "select_permission",
      },
    ],
  },
  replaceInconsistent: {
    path: "$.args",
    error: "cannot continue due to inconsistent metadata",
    code: "unexpected",
    internal: [
      {
        definition: { name: "users", schema: "public" },
        name: "table users in source default",
        reason: 'Inconsistent object: no such table/view exists in source: "users"',
        type: "table",
      },
    ],
  },
  accessDenied: { error: "invalid x-hasura-admin-secret/x-hasura-access-key", path: "$", code: "access-denied" },
  // /v1/graphql answers every error with HTTP 200.
  jwtExpired: { errors: [{ message: "Could not verify JWT: JWTExpired", extensions: { path: "$", code: "invalid-jwt" } }] },
  missingAuthorization: {
    errors: [
      { message: "Missing 'Authorization' or 'Cookie' header in JWT authentication mode", extensions: { path: "$", code: "invalid-headers" } },
    ],
  },
  roleNotAllowed: { errors: [{ message: "Your requested role is not in allowed roles", extensions: { path: "$", code: "access-denied" } }] },
  fieldNotFound: {
    errors: [{ message: "field 'users' not found in type: 'query_root'", extensions: { path: "$.selectionSet.users", code: "validation-failed" } }],
  },
} as const;
