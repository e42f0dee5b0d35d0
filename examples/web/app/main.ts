// The example app: sign in with Kinde's SPA SDK (or, on a local-signing-mode stack, the local sign-in
// that speaks the same protocol), send the ACCESS token (getAccessToken(), which refreshes; not the ID
// token) to Hasura, show and edit the caller's own row, and keep a live subscription to it.
import createKindeClient from "@kinde-oss/kinde-auth-pkce-js";
import { type AppConfig, loadConfig, tokenClaims } from "./config.js";
import { graphql, HasuraError } from "./hasura.js";
import { LiveRow, type UserRow } from "./live-row.js";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const status = $<HTMLParagraphElement>("status");
const errorBox = $<HTMLParagraphElement>("error");
const signInButton = $<HTMLButtonElement>("sign-in");
const signOutButton = $<HTMLButtonElement>("sign-out");
const signedIn = $<HTMLElement>("signed-in");
const rowsBody = $<HTMLTableSectionElement>("rows");
const nameInput = $<HTMLInputElement>("name");
const liveName = $<HTMLSpanElement>("live-name");
const liveState = $<HTMLParagraphElement>("live");

function showError(text: string): void {
  errorBox.textContent = text;
}

function showSignedOut(text: string): void {
  status.textContent = text;
  signInButton.hidden = false;
  signOutButton.hidden = true;
  signedIn.hidden = true;
}

/** The rows as Hasura returned them, as text (never HTML: a name is the user's input). */
function showRows(rows: UserRow[]): void {
  rowsBody.replaceChildren(
    ...rows.map((row) => {
      const tr = document.createElement("tr");
      tr.dataset.id = row.id;
      for (const value of [row.id, row.name ?? "", row.last_seen]) tr.append(Object.assign(document.createElement("td"), { textContent: value }));
      return tr;
    }),
  );
}

async function main(): Promise<void> {
  const config = await loadConfig();
  const kinde = await createKindeClient({
    client_id: config.clientId,
    domain: config.signInDomain,
    redirect_uri: location.origin,
    logout_uri: location.origin,
    audience: config.audience,
    on_error_callback: (e) => showError(`Sign-in failed: ${e.error}${e.errorDescription ? `: ${e.errorDescription}` : ""}`),
  });
  signInButton.onclick = () => void kinde.login();
  signOutButton.onclick = () => {
    live?.stop();
    void kinde.logout();
  };
  let live: LiveRow | undefined;
  const token = await kinde.getAccessToken();
  if (!token) {
    showSignedOut(
      `Signed out. Sign in with ${config.signIn === "local" ? "the local sign-in (no Kinde account needed)" : "Kinde"} to see your row of stack ${config.stack}.`,
    );
    return;
  }
  await showSignedIn(config, token, () => kinde.getAccessToken());
  live = new LiveRow(config, () => kinde.getAccessToken(), {
    rows: (rows) => {
      liveName.textContent = rows.map((r) => r.name ?? "").join(", ");
    },
    state: (text) => {
      liveState.textContent = text;
    },
    sessionExpired: () => showSignedOut("Your session has expired: sign in again."),
  });
  await live.start();
}

async function showSignedIn(config: AppConfig, token: string, accessToken: () => Promise<string | undefined>): Promise<void> {
  const userId = tokenClaims(token).sub ?? "(no sub)";
  status.textContent = `Signed in as ${userId} (stack ${config.stack}).`;
  signInButton.hidden = true;
  signOutButton.hidden = false;
  signedIn.hidden = false;
  const rows = await ownRows(config, token);
  showRows(rows);
  nameInput.value = rows[0]?.name ?? "";
  $<HTMLFormElement>("rename").onsubmit = (event) => {
    event.preventDefault();
    void rename(config, accessToken, nameInput.value);
  };
}

/** The caller's rows; on a first sign-in, the row is created (the `user` role may insert only its own). */
async function ownRows(config: AppConfig, token: string): Promise<UserRow[]> {
  const query = "{ users(order_by: {id: asc}) { id name last_seen } }";
  const { users } = await graphql<{ users: UserRow[] }>(config, token, query);
  if (users.length > 0) return users;
  await graphql(config, token, 'mutation { insert_users_one(object: {name: ""}) { id } }');
  return (await graphql<{ users: UserRow[] }>(config, token, query)).users;
}

async function rename(config: AppConfig, accessToken: () => Promise<string | undefined>, name: string): Promise<void> {
  showError("");
  const token = await accessToken();
  if (!token) return showSignedOut("Your session has expired: sign in again.");
  try {
    // By primary key, the caller's own id: the page never asks for more than its row, even though
    // Hasura's update permission would confine a broader `where` to that row anyway.
    const id = tokenClaims(token).sub ?? "";
    await graphql(
      config,
      token,
      "mutation ($id: String!, $name: String!) { update_users_by_pk(pk_columns: {id: $id}, _set: {name: $name}) { id } }",
      {
        id,
        name,
      },
    );
    showRows(await ownRows(config, token));
  } catch (err) {
    report(err);
  }
}

function report(err: unknown): void {
  if (err instanceof HasuraError && err.sessionExpired) showSignedOut("Your session has expired: sign in again.");
  showError(err instanceof Error ? err.message : String(err));
}

main().catch(report);
