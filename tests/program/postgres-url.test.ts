// Connection URLs spelled once, and shown without their secrets.
import { describe, expect, it } from "vitest";
import { postgresUrl, redactUrl } from "../../core/postgres-url.js";

describe("redacting a database URL for a message", () => {
  it("hides the whole password, whatever characters it has", () => {
    const url = postgresUrl({ user: "postgres", password: "p@ss:w/rd?#tail-of-secret", host: "127.0.0.1", port: 15432, database: "app" });
    expect(redactUrl(url)).toBe("postgres://postgres:***@127.0.0.1:15432/app");
    // A raw @ in a hand-written URL: the old regex printed the tail after it.
    expect(redactUrl("postgres://postgres:abc@def-secret-tail@127.0.0.1:5432/app")).not.toContain("secret-tail");
  });

  it("hides a password that moves what a URL parser calls the host (a raw ?, / or # after digits)", () => {
    for (const url of [
      "postgres://u:1234?hunter2@127.0.0.1:1/db",
      "postgres://u:99/hunter2@127.0.0.1:1/db",
      "postgres://u:abc#hunter2@127.0.0.1:1/db",
    ]) {
      expect(redactUrl(url), url).toBe("postgres://u:***@127.0.0.1:1/db");
    }
  });

  it("hides password-like query parameters, and never echoes what does not parse", () => {
    expect(redactUrl("postgres://postgres@127.0.0.1:5432/app?password=hunter2-secret&sslmode=disable")).toBe(
      "postgres://postgres@127.0.0.1:5432/app?password=***&sslmode=disable",
    );
    expect(redactUrl("not a url but maybe-a-secret")).toBe("<a value that is not a URL; not shown>");
  });
});
