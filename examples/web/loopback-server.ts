// How both servers of `npm run web` (the app and the local sign-in) listen: on 127.0.0.1 only, for
// requests addressed to it, and closing together with their open connections (a browser keeps some alive).
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface Listening {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1:`port` (0: a free port); rejects with the listen error (EADDRINUSE names the port). */
export async function listenOnLoopback(server: Server, port: number): Promise<Listening> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${bound}`,
    port: bound,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * Whether a request's Host names this machine's loopback on `port`: a page on another site whose DNS
 * name was pointed at 127.0.0.1 (DNS rebinding) sends its own name and is refused.
 */
export function isLoopbackHost(host: string | undefined, port: number): boolean {
  return host === `127.0.0.1:${port}` || host === `localhost:${port}`;
}
