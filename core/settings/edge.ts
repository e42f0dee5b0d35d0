// The public TLS edge (Caddy): publicHost and acmeEmail, both or neither, and its pinned image.
import type { SettingsReader } from "./reader.js";

export interface EdgeSettings {
  /** The public DNS name the certificate is for, e.g. api.example.com. */
  host: string;
  /** Let's Encrypt's contact for expiry notices. */
  email: string;
  /** Pinned Caddy 2 image reference. */
  image: string;
}

/** publicHost alone, as the Kubernetes target's Ingress host ("" when unset). */
export function readPublicHost(r: SettingsReader): string {
  return r.host("publicHost", r.value("publicHost").trim(), "a public DNS name such as api.example.com");
}

export function readEdge(r: SettingsReader): EdgeSettings | undefined {
  const hostRaw = r.value("publicHost").trim();
  const emailRaw = r.value("acmeEmail").trim();
  const image = r.image("edgeImage", "caddy", "caddy:2.11.3", 2);
  if (hostRaw === "") {
    if (emailRaw !== "") r.report(`${r.name("acmeEmail")} is set but ${r.name("publicHost")} is empty; set publicHost too, or remove acmeEmail`);
    return undefined;
  }
  const host = r.host("publicHost", hostRaw, "a public DNS name such as api.example.com");
  if (!/^[^\s@]+@[^\s@]+\.[A-Za-z]{2,}$/.test(emailRaw))
    r.fail("acmeEmail", "an email address for Let's Encrypt's expiry notices such as ops@example.com", emailRaw);
  return host ? { host, email: emailRaw, image } : undefined;
}
