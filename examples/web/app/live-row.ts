// The caller's row, live: a graphql-ws subscription to `users` with the access token in connection_init
// (Hasura reads `headers` there). Hasura ends a subscription when its token expires, so before `exp` the
// page opens a second subscription with a fresh token (Kinde's SDK refreshes in getAccessToken once
// fewer than 30 s are left) and closes the old one once the new one has answered: no gap, no stale token.
import { type Client, createClient } from "graphql-ws";
import { type AppConfig, tokenClaims } from "./config.js";

export interface UserRow {
  id: string;
  name: string | null;
  last_seen: string;
}

export interface LiveRowEvents {
  rows(rows: UserRow[]): void;
  /** What the subscription is doing, for the page. */
  state(text: string): void;
  /** No token any more: the session is over. */
  sessionExpired(): void;
}

const QUERY = "subscription { users { id name last_seen } }";
/** Renew this long before exp: inside the SDK's 30 s window, so getAccessToken refreshes. */
const RENEW_BEFORE_EXP_MS = 20_000;
const RETRY_AFTER_MS = 5_000;

export class LiveRow {
  /** The subscription that shows the rows. */
  private current?: Client;
  /** A renewal that has not answered yet: it replaces `current` once it does. */
  private pending?: Client;
  private timer?: ReturnType<typeof setTimeout>;
  private stopped = false;
  renewals = 0;

  constructor(
    private readonly config: AppConfig,
    private readonly accessToken: () => Promise<string | undefined>,
    private readonly events: LiveRowEvents,
  ) {}

  async start(): Promise<void> {
    this.stopped = false;
    await this.open(false);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    for (const client of [this.current, this.pending]) void client?.dispose();
    this.current = undefined;
    this.pending = undefined;
  }

  private async open(renewal: boolean): Promise<void> {
    if (this.stopped) return;
    const token = await this.accessToken();
    // Signed out while the SDK was refreshing: open nothing.
    if (this.stopped) return;
    if (!token) {
      this.events.state("Live updates stopped: your session has expired.");
      this.events.sessionExpired();
      return;
    }
    const exp = tokenClaims(token).exp;
    const expires = exp ? new Date(exp * 1000).toLocaleTimeString() : "unknown";
    const client = createClient({
      url: this.config.graphqlUrl.replace(/^http/, "ws"),
      connectionParams: { headers: { Authorization: `Bearer ${token}` } },
      retryAttempts: 0,
    });
    // The state first, then the disposals: a disposed client's complete() must find itself replaced.
    const replaced = renewal ? [this.pending] : [this.pending, this.current];
    this.pending = renewal ? client : undefined;
    if (!renewal) this.current = client;
    for (const old of replaced) void old?.dispose();
    let answered = false;
    client.subscribe<{ users: UserRow[] }>(
      { query: QUERY },
      {
        next: (result) => {
          if (this.stopped || (client !== this.current && client !== this.pending)) return;
          if (result.errors?.length) {
            this.failed(client, `Hasura answered with an error: ${result.errors.map((e) => e.message).join("; ")}`);
            return;
          }
          if (!answered) {
            answered = true;
            if (client === this.pending) {
              // The renewal answers: the old subscription (its token about to expire) can go.
              const old = this.current;
              this.current = client;
              this.pending = undefined;
              void old?.dispose();
              this.renewals += 1;
            }
            this.events.state(`Live: connected (token expires at ${expires}; renewed ${this.renewals} time(s)).`);
          }
          if (result.data) this.events.rows(result.data.users);
        },
        error: (err) => this.failed(client, describe(err)),
        complete: () => this.failed(client, "Hasura ended the subscription"),
      },
    );
    clearTimeout(this.timer);
    const renewIn = exp ? Math.max(5_000, exp * 1000 - Date.now() - RENEW_BEFORE_EXP_MS) : 60_000;
    this.timer = setTimeout(() => void this.open(true), renewIn);
  }

  /**
   * A subscription that ended or failed. The one showing rows: say why and open a new one with a fresh
   * token shortly. A renewal that never answered: say so and try the renewal again, while the current
   * subscription still shows the rows.
   */
  private failed(client: Client, reason: string): void {
    if (this.stopped) return;
    if (client !== this.pending && client !== this.current) return;
    if (client === this.pending) {
      this.pending = undefined;
      this.events.state(`Live: renewing the subscription failed (${reason}); trying again in ${RETRY_AFTER_MS / 1000} s.`);
    } else {
      this.current = undefined;
      this.events.state(`Live updates stopped: ${reason}. Retrying in ${RETRY_AFTER_MS / 1000} s.`);
    }
    void client.dispose();
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.open(this.current !== undefined), RETRY_AFTER_MS);
  }
}

function describe(err: unknown): string {
  if (Array.isArray(err)) return err.map((e: { message?: string }) => e.message ?? String(e)).join("; ");
  // A CloseEvent: Hasura's close code and reason (4400 bad token, 4403 origin refused, 1006 unreachable).
  const close = err as { code?: number; reason?: string };
  if (typeof close.code === "number") return `the socket closed (${close.code}${close.reason ? ` ${close.reason}` : ""})`;
  return err instanceof Error ? err.message : String(err);
}
