// The stand-in's GraphQL over WebSocket: the graphql-transport-ws protocol on /v1/graphql, with the
// behaviour of Hasura's server (server/src-lib/Hasura/GraphQL/Transport/WebSocket.hs and
// WebSocket/Server.hs, read in hasura/graphql-engine):
// - the handshake refuses an Origin outside HASURA_GRAPHQL_CORS_DOMAIN with 400 "received origin header
//   does not match configured CORS domains" (onConn enforceCors);
// - authentication happens once, at connection_init, from payload.headers; a refused session closes the
//   socket with 4403 Forbidden (mkWSServerErrorCode: ConnInitFailed under graphql-transport-ws);
// - no connection_init within 3 s closes with 4408 (the default connection init timeout);
// - a subscription before the ack closes with 4401, a reused id with 4409;
// - at the token's exp the connection simply ends (tokenExpiryHandler returns and the threads are
//   cancelled: no close frame is sent), which a client sees as an abnormal closure;
// - live queries are re-run every second (the multiplexed refetch interval's default) and a `next` is sent
//   only when the result changed.
// Hand-written on `ws` because graphql-ws's server executes against a GraphQL schema, and the stand-in
// has none: its executor is SQL (graphql.ts).
import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import { Kind, type OperationDefinitionNode, parse } from "graphql";
import { type WebSocket, WebSocketServer } from "ws";

export const PROTOCOL = "graphql-transport-ws";

export interface SubscriptionHost {
  /** The caller for connection_init's headers (lower-case names); throws to refuse. Its expiresAt ends the connection. */
  authenticate(headers: Record<string, string>): Promise<{ access: unknown; expiresAt?: number }>;
  /** Runs one operation as the caller; returns Hasura's {data} or {errors}. */
  execute(access: unknown, request: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** Why an Origin is refused (HASURA_GRAPHQL_CORS_DOMAIN), or undefined when it is allowed. */
  originRefused(origin: string | undefined): string | undefined;
}

export interface SubscriptionOptions {
  refetchMs?: number;
  initTimeoutMs?: number;
}

/** Serves graphql-transport-ws on `server`'s /v1/graphql upgrades; returns a function that closes every socket. */
export function serveSubscriptions(server: Server, host: SubscriptionHost, options: SubscriptionOptions = {}): () => void {
  const wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (protocols) => (protocols.has(PROTOCOL) ? PROTOCOL : false),
  });
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = new URL(req.url ?? "/", "http://127.0.0.1").pathname;
    const reject = (status: string, body: unknown) => {
      const text = JSON.stringify(body);
      socket.end(
        `HTTP/1.1 ${status}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`,
      );
    };
    if (path !== "/v1/graphql") {
      return reject("404 Not Found", { path: "$", error: "only '/v1/graphql' is served on websockets by the stand-in", code: "not-found" });
    }
    const refused = host.originRefused(req.headers.origin);
    if (refused) return reject("400 Bad Request", { errors: [{ message: refused, extensions: { path: "$", code: "access-denied" } }] });
    wss.handleUpgrade(req, socket, head, (ws) => new Connection(ws, host, options.refetchMs ?? 1000, options.initTimeoutMs ?? 3000));
  });
  return () => {
    for (const client of wss.clients) client.terminate();
    wss.close();
  };
}

class Connection {
  private access: unknown;
  private initialised = false;
  private readonly operations = new Map<string, () => void>();
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly ws: WebSocket,
    private readonly host: SubscriptionHost,
    private readonly refetchMs: number,
    initTimeoutMs: number,
  ) {
    this.timers.push(setTimeout(() => !this.initialised && this.close(4408, "Connection initialisation timeout"), initTimeoutMs));
    ws.on("message", (data) => void this.onMessage(String(data)));
    ws.on("close", () => this.stopAll());
    ws.on("error", () => this.stopAll());
  }

  private close(code: number, reason: string): void {
    this.stopAll();
    this.ws.close(code, reason);
  }

  private stopAll(): void {
    for (const stop of this.operations.values()) stop();
    this.operations.clear();
    for (const timer of this.timers) clearTimeout(timer);
  }

  private send(message: Record<string, unknown>): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(JSON.stringify(message));
  }

  private async onMessage(text: string): Promise<void> {
    let message: { type?: unknown; id?: unknown; payload?: unknown };
    try {
      message = JSON.parse(text) as typeof message;
    } catch {
      return this.close(4400, "Invalid message received");
    }
    switch (message.type) {
      case "connection_init":
        return this.init(message.payload);
      case "ping":
        return this.send({ type: "pong" });
      case "pong":
        return;
      case "subscribe":
        return this.subscribe(message.id, message.payload);
      case "complete":
        this.operations.get(String(message.id))?.();
        this.operations.delete(String(message.id));
        return;
      default:
        return this.close(4400, `Invalid message type ${JSON.stringify(message.type)}`);
    }
  }

  private async init(payload: unknown): Promise<void> {
    if (this.initialised) return this.close(4429, "Too many initialisation requests");
    this.initialised = true;
    const raw = (payload as { headers?: unknown } | undefined)?.headers;
    const headers = Object.fromEntries(Object.entries(raw && typeof raw === "object" ? raw : {}).map(([k, v]) => [k.toLowerCase(), String(v)]));
    try {
      const { access, expiresAt } = await this.host.authenticate(headers);
      this.access = access;
      if (expiresAt !== undefined) {
        const ms = Math.max(0, expiresAt * 1000 - Date.now());
        this.timers.push(
          setTimeout(() => {
            this.stopAll();
            this.ws.terminate();
          }, ms),
        );
      }
      this.send({ type: "connection_ack" });
    } catch {
      this.close(4403, "Forbidden");
    }
  }

  private async subscribe(rawId: unknown, payload: unknown): Promise<void> {
    if (this.access === undefined) return this.close(4401, "Unauthorized");
    if (typeof rawId !== "string" || rawId === "") return this.close(4400, "Invalid message received");
    const id = rawId;
    if (this.operations.has(id)) return this.close(4409, `Subscriber for ${id} already exists`);
    const request = (payload && typeof payload === "object" ? payload : {}) as Record<string, unknown>;
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    this.operations.set(id, () => {
      stopped = true;
      clearTimeout(timer);
    });
    const live = isSubscription(request.query);
    let last: string | undefined;
    const tick = async () => {
      let result: Record<string, unknown>;
      try {
        result = await this.host.execute(this.access, request);
      } catch (err) {
        result = { errors: [{ message: `rehearsal stand-in: ${(err as Error).message}`, extensions: { path: "$", code: "unexpected" } }] };
      }
      if (stopped) return;
      if (result.errors) {
        this.operations.delete(id);
        return this.send({ id, type: "error", payload: result.errors });
      }
      const text = JSON.stringify(result);
      if (text !== last) this.send({ id, type: "next", payload: result });
      last = text;
      if (!live) {
        this.operations.delete(id);
        return this.send({ id, type: "complete" });
      }
      timer = setTimeout(() => void tick(), this.refetchMs);
    };
    await tick();
  }
}

function isSubscription(query: unknown): boolean {
  try {
    const doc = parse(String(query));
    return doc.definitions.some((d) => d.kind === Kind.OPERATION_DEFINITION && (d as OperationDefinitionNode).operation === "subscription");
  } catch {
    return false;
  }
}
