// apply and diff against recorded Hasura responses served from 127.0.0.1 (tests/support/recorded-hasura.ts):
// what we send, and how we read what comes back. No live Hasura is involved.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { applyMetadata, exportMetadata, HasuraError, metadataRequest } from "../../scripts/lib/hasura/client.js";
import { loadMetadata, replaceMetadataBody } from "../../scripts/lib/hasura/metadata.js";
import { diffMetadata } from "../../scripts/lib/hasura/metadata-diff.js";
import { freePort } from "../../scripts/lib/net/free-port.js";
import { RECORDED, type RecordedHasura, recordedHasura } from "../support/recorded-hasura.js";

const ADMIN_SECRET = "recorded-admin-secret-0123456789abcdef";
let server: RecordedHasura | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe("metadata apply (recorded Hasura responses)", () => {
  it("replaces the metadata with the admin secret, refusing inconsistency, then reloads", async () => {
    server = await recordedHasura([
      { status: 200, body: RECORDED.replacedConsistent },
      { status: 200, body: RECORDED.reloadConsistent },
    ]);
    const body = replaceMetadataBody(loadMetadata("metadata"));
    await applyMetadata({ endpoint: server.url, adminSecret: ADMIN_SECRET }, body);
    expect(server.received.map((r) => [r.method, r.path, r.headers["x-hasura-admin-secret"]])).toEqual([
      ["POST", "/v1/metadata", ADMIN_SECRET],
      ["POST", "/v1/metadata", ADMIN_SECRET],
    ]);
    expect(server.received[0]?.body).toEqual(body);
    expect(server.received[1]?.body).toEqual({
      type: "reload_metadata",
      args: { reload_remote_schemas: true, reload_sources: true, recreate_event_triggers: true },
    });
  });

  it("fails listing each inconsistent object when Hasura refuses the replacement", async () => {
    server = await recordedHasura([{ status: 400, body: RECORDED.replaceInconsistent }]);
    const attempt = applyMetadata({ endpoint: server.url, adminSecret: ADMIN_SECRET }, replaceMetadataBody(loadMetadata("metadata")));
    await expect(attempt).rejects.toThrow(
      `replace_metadata at ${server.url}/v1/metadata failed with HTTP 400 (unexpected): cannot continue due to inconsistent metadata\n` +
        '  - table table users in source default: Inconsistent object: no such table/view exists in source: "users"',
    );
    expect(server.received).toHaveLength(1);
  });

  it("fails listing each object when the reload reports inconsistency", async () => {
    server = await recordedHasura([
      { status: 200, body: RECORDED.replacedConsistent },
      { status: 200, body: RECORDED.reloadInconsistent },
    ]);
    const attempt = applyMetadata({ endpoint: server.url, adminSecret: ADMIN_SECRET }, replaceMetadataBody(loadMetadata("metadata")));
    await expect(attempt).rejects.toThrow(
      "Metadata applied, but Hasura reports inconsistent objects after reload:\n" +
        '  - select_permission select_permission user on table users in source default: Inconsistent object: in table "users": no such column exists: "email"',
    );
  });

  it("says the admin secret was rejected, without showing it", async () => {
    server = await recordedHasura([{ status: 401, body: RECORDED.accessDenied }]);
    const attempt = applyMetadata({ endpoint: server.url, adminSecret: ADMIN_SECRET }, replaceMetadataBody(loadMetadata("metadata")));
    await expect(attempt).rejects.toThrow(
      /the admin secret was rejected \(HTTP 401: invalid x-hasura-admin-secret\/x-hasura-access-key\)\. Check HASURA_GRAPHQL_ADMIN_SECRET\.$/,
    );
    await attempt.catch((err: Error) => expect(err.message).not.toContain(ADMIN_SECRET));
  });

  it("names the URL when nothing answers", async () => {
    const port = await freePort();
    const attempt = applyMetadata({ endpoint: `http://127.0.0.1:${port}`, adminSecret: ADMIN_SECRET, timeoutMs: 2000 }, {});
    await expect(attempt).rejects.toThrow(`Cannot reach Hasura at http://127.0.0.1:${port}/v1/metadata: ECONNREFUSED. Is the stack up (npm run up)?`);
    await expect(attempt).rejects.toBeInstanceOf(HasuraError);
  });

  it("runs from npm run metadata -- apply and exits 1 with the server's reasons", { timeout: 60_000 }, async () => {
    server = await recordedHasura([{ status: 400, body: RECORDED.replaceInconsistent }]);
    const result = await promisify(execFile)(process.execPath, ["--import", "tsx", "scripts/metadata.ts", "apply"], {
      env: { ...process.env, HASURA_GRAPHQL_ENDPOINT: server.url, HASURA_GRAPHQL_ADMIN_SECRET: ADMIN_SECRET },
    }).then(
      () => ({ code: 0, stderr: "" }),
      (e: { code: number; stderr: string }) => e,
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('table users in source default: Inconsistent object: no such table/view exists in source: "users"');
    expect(result.stderr).not.toContain(ADMIN_SECRET);
  });
});

describe("metadata diff (recorded Hasura responses)", () => {
  it("reports nothing when the server holds what the files say, whatever the order", async () => {
    const files = loadMetadata("metadata");
    const live = structuredClone(files);
    const users = live.sources[0]!.tables[0]!;
    live.sources[0]!.tables[0] = Object.fromEntries(Object.entries(users).reverse()) as typeof users;
    server = await recordedHasura([{ status: 200, body: { resource_version: 7, metadata: live } }]);
    expect(diffMetadata(await exportMetadata({ endpoint: server.url, adminSecret: ADMIN_SECRET }), files)).toEqual([]);
    expect(server.received[0]?.body).toEqual({ type: "export_metadata", version: 2, args: {} });
  });

  it("shows a permission the console widened and one the files add", async () => {
    const files = loadMetadata("metadata");
    const live = structuredClone(files);
    const users = live.sources[0]!.tables[0]!;
    users.select_permissions![0]!.permission.filter = {};
    delete users.insert_permissions;
    users.select_permissions!.push({ role: "editor", permission: { columns: ["id"], filter: {} } });
    server = await recordedHasura([{ status: 200, body: { resource_version: 8, metadata: live } }]);
    expect(diffMetadata(await exportMetadata({ endpoint: server.url, adminSecret: ADMIN_SECRET }), files)).toEqual([
      "+ sources[default].tables[public.users].insert_permissions = " +
        '{"[user]":{"permission":{"check":{"id":{"_eq":"X-Hasura-User-Id"}},"columns":["name"],"set":{"id":"X-Hasura-User-Id"}},"role":"user"}}',
      '- sources[default].tables[public.users].select_permissions[editor] = {"permission":{"columns":["id"],"filter":{}},"role":"editor"}',
      '+ sources[default].tables[public.users].select_permissions[user].permission.filter.id = {"_eq":"X-Hasura-User-Id"}',
    ]);
  });
});

describe("metadata apply against answers that are not Hasura's documented success (recorded shapes)", () => {
  it("fails on a 200 with errors, a v1 message where v2 was asked, and a reload without is_consistent", async () => {
    const body = replaceMetadataBody(loadMetadata("metadata"));
    const cases: Array<[unknown, unknown, RegExp]> = [
      [
        { errors: [{ message: "boom", extensions: { code: "unexpected" } }] },
        RECORDED.reloadConsistent,
        /^replace_metadata answered without is_consistent: true; got \{"errors"/,
      ],
      [RECORDED.success, RECORDED.reloadConsistent, /^replace_metadata answered without is_consistent: true; got \{"message":"success"\}/],
      [RECORDED.replacedConsistent, { message: "success" }, /^reload_metadata answered without \{message: "success", is_consistent: true\}/],
    ];
    for (const [replaced, reloaded, expected] of cases) {
      server = await recordedHasura([
        { status: 200, body: replaced },
        { status: 200, body: reloaded },
      ]);
      await expect(applyMetadata({ endpoint: server.url, adminSecret: "s".repeat(32) }, body)).rejects.toThrow(expected);
      await server.close();
      server = undefined;
    }
  });
});

describe("a secret that cannot travel in a header (no server needed: refused before sending)", () => {
  it("is refused naming the header and the variable, never the value", async () => {
    const secret = "first-line-of-a-secret\nsecond-line-of-a-secret";
    const attempt = metadataRequest({ endpoint: "http://127.0.0.1:9", adminSecret: secret }, { type: "export_metadata", args: {} });
    await expect(attempt).rejects.toThrow(
      "The x-hasura-admin-secret header would hold characters an HTTP header cannot carry (a newline, another control character " +
        "or non-ASCII); check the value it comes from (HASURA_GRAPHQL_ADMIN_SECRET)",
    );
    await attempt.catch((err: Error) => {
      expect(err.message).not.toContain("first-line");
      expect(err.message).not.toContain("second-line");
    });
  });
});
