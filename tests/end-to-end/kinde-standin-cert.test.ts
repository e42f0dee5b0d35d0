// The rehearsal's Kinde stand-in certificate (dev/rehearsal/kinde-standin.ts): made by Debian's openssl,
// kept in the state folder and reused, made again when it is near its end or unreadable, and a clear
// message when openssl is missing.
import { X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { standInCertificate } from "../../dev/rehearsal/kinde-standin.js";

describe("the Kinde stand-in's certificate", () => {
  it("is for 127.0.0.1, private to its owner, reused while valid, and made again when unreadable", () => {
    const dir = mkdtempSync(join(tmpdir(), "kh-kinde-tls-"));
    const first = standInCertificate(dir);
    const cert = new X509Certificate(readFileSync(first.certFile));
    expect(cert.subjectAltName).toBe("IP Address:127.0.0.1");
    expect(cert.checkIP("127.0.0.1")).toBe("127.0.0.1");
    expect(Date.parse(cert.validTo) - Date.now()).toBeGreaterThan(29 * 24 * 3600 * 1000);
    expect(statSync(first.keyFile).mode & 0o077).toBe(0);
    const pem = readFileSync(first.certFile, "utf8");
    expect(readFileSync(standInCertificate(dir).certFile, "utf8")).toBe(pem);
    writeFileSync(first.certFile, "not a certificate");
    const again = readFileSync(standInCertificate(dir).certFile, "utf8");
    expect(again).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(again).not.toBe(pem);
  });

  it("says to install openssl when it is missing", () => {
    const path = process.env.PATH;
    process.env.PATH = "/nonexistent";
    try {
      expect(() => standInCertificate(mkdtempSync(join(tmpdir(), "kh-kinde-tls-")))).toThrow(
        "The rehearsal's Kinde stand-in needs openssl to make its https certificate: install it (apt-get install openssl)",
      );
    } finally {
      process.env.PATH = path;
    }
  });
});
