// What the program generated in a rehearsal, read back from the rehearsal's (encrypted) state.
import { RehearsalState } from "../../scripts/lib/rehearsal/state.js";
import { reveal } from "../../scripts/lib/rehearsal/values.js";

/** Generated credentials by logical name: `credentials-postgres-password` → its value, the key's PKCS#8 PEM. */
export function generatedCredentials(stateRoot: string, stack: string): Record<string, string> {
  const state = new RehearsalState(stateRoot, stack);
  const out: Record<string, string> = {};
  for (const urn of state.resourceUrns()) {
    const record = state.resource(urn);
    const outputs = reveal(record?.outputs).plain as Record<string, unknown>;
    const name = urn.split("::").pop() as string;
    if (record?.type === "random:index/randomPassword:RandomPassword") out[name] = String(outputs.result);
    if (record?.type === "tls:index/privateKey:PrivateKey") out[name] = String(outputs.privateKeyPemPkcs8);
  }
  return out;
}
