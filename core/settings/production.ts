// What a production stack (production: true) must be beyond every stack's rules: Kinde sign-ins, no
// console or dev mode, reachable beyond the host, exact https origins, and strong configured secrets.
import { isHeaderSafeSecret, isStrongSecret, parseOrigin, STRONG_SECRET_RULE } from "./config-values.js";
import type { HasuraSettings } from "./containers.js";
import type { ConfiguredSecrets } from "./credentials.js";
import type { SettingsReader } from "./reader.js";

export function checkProductionRules(
  r: SettingsReader,
  s: { localMode: boolean; hasura: HasuraSettings; servedPublicly: boolean; secrets: ConfiguredSecrets; kubernetes: boolean },
): void {
  const why = "on a production stack (production: true)";
  if (s.localMode) r.report(`${r.name("kindeDomain")} is required ${why}; local signing mode is for development only`);
  if (s.hasura.console) r.fail("hasuraConsole", `false ${why}`, "true");
  if (s.hasura.devMode) r.fail("hasuraDevMode", `false ${why}`, "true");
  if (!s.servedPublicly && r.value("externalEdge").trim() === "" && s.kubernetes) {
    r.report(
      `${r.name("publicHost")} is required ${why}: the Ingress serves Hasura there, and without it Hasura stays inside the cluster. ` +
        `Set it, or set ${r.name("externalEdge")} to what serves it instead (e.g. "our gateway")`,
    );
  } else if (!s.servedPublicly && r.value("externalEdge").trim() === "") {
    r.report(
      `${r.name("publicHost")} is required ${why}: without it Hasura listens on the host's 127.0.0.1 only. ` +
        `Set it (and ${r.name("acmeEmail")}) for the TLS edge, or set ${r.name("externalEdge")} to what serves it instead (e.g. "nginx on the host")`,
    );
  }
  const corsRaw = r.value("hasuraCorsDomains");
  const origins = s.hasura.corsDomains.map((d) => (d === "*" ? "*" : parseOrigin(d)));
  if (s.hasura.corsDomains.some((d) => d.includes("*"))) r.fail("hasuraCorsDomains", `exact origins without "*" ${why}`, corsRaw);
  else if (origins.some((o) => o !== undefined && o !== "*" && o.scheme !== "https"))
    r.fail("hasuraCorsDomains", `https:// origins only ${why}`, corsRaw);
  // Only what the stack sets is judged here; generated credentials meet the rule by construction.
  for (const key of ["hasuraAdminSecret", "postgresPassword", "hasuraDbPassword"] as const) {
    const value = s.secrets[key];
    if (value !== undefined && isHeaderSafeSecret(value) && !isStrongSecret(value)) {
      r.report(
        `${r.name(key)} must be ${STRONG_SECRET_RULE} ${why}; got a value that is not (${value.length} characters; its contents are not shown)`,
      );
    }
  }
}
