// What a failed fetch() says, in one line: undici puts the reason (ECONNREFUSED, ENOTFOUND, …) in
// `cause`, and AbortSignal.timeout raises a TimeoutError.
export function describeFetchError(err: unknown, timeoutMs?: number): string {
  const e = err as { name?: string; cause?: { code?: string; message?: string }; message?: string };
  if (e.name === "TimeoutError") return timeoutMs === undefined ? "no answer in time" : `no answer within ${timeoutMs} ms`;
  return e.cause?.code ?? e.cause?.message ?? e.message ?? String(err);
}
