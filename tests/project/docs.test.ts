// The README and docs/ stay true to the tree: the configuration table lists exactly the keys the
// program reads with their real defaults, every repository path they name exists, and no citation
// points outside the repository.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { inProject } from "../../core/project-root.js";
import { DEFAULTS, OPTIONAL_SECRET_KEYS } from "../../core/settings/keys.js";

const read = (path: string) => readFileSync(inProject(path), "utf8");
const DOCS = ["README.md", ...readdirSync(inProject("docs")).map((f) => `docs/${f}`)];

/** Rows of the table between the config-table markers: key and default cell, backticks removed. */
function configTable(markdown: string): Array<{ key: string; default: string }> {
  const table = /<!-- config-table:start -->\n([\s\S]*?)<!-- config-table:end -->/.exec(markdown)?.[1];
  if (!table) throw new Error("docs/configuration.md has no config-table markers");
  return table
    .split("\n")
    .filter((line) => line.startsWith("| `"))
    .map((line) => {
      const [key = "", value = ""] = line
        .split("|")
        .slice(1, 3)
        .map((cell) => cell.trim());
      return { key: key.replace(/`/g, ""), default: value.replace(/`/g, "") };
    });
}

describe("the docs", () => {
  it("keep the README a front door: at most 200 lines", () => {
    expect(read("README.md").split("\n").length).toBeLessThanOrEqual(200);
  });

  it("list in docs/configuration.md exactly Pulumi.yaml's declared keys, with their defaults, and every secret", () => {
    const declared = parse(read("Pulumi.yaml")).config as Record<string, { default: unknown }>;
    const rows = configTable(read("docs/configuration.md"));
    expect(rows.map((r) => r.key).sort()).toEqual([...Object.keys(declared), ...OPTIONAL_SECRET_KEYS].sort());
    for (const [key, spec] of Object.entries(declared)) {
      const shown = rows.find((r) => r.key === key)?.default;
      expect(shown, key).toBe(spec.default === "" ? "empty" : String(spec.default));
      expect(String(spec.default), key).toBe(DEFAULTS[key as keyof typeof DEFAULTS]);
    }
    for (const key of OPTIONAL_SECRET_KEYS) expect(rows.find((r) => r.key === key)?.default, key).toMatch(/^secret/);
  });

  it("advise the DNS records the edge can answer: an A record only while it publishes on IPv4 only", () => {
    const edge = readFileSync("infra/docker/edge.ts", "utf8");
    const ops = readFileSync("docs/operations.md", "utf8");
    const ipv4Only = !/ip: "::"/.test(edge) && /ip: "0\.0\.0\.0"/.test(edge);
    expect(ipv4Only).toBe(true);
    expect(ops).not.toMatch(/A\/AAAA record/);
    expect(ops).toContain("(no AAAA: the edge publishes 80 and 443 on\nIPv4 only");
  });

  it("say what a stack's creation writes into a tracked file, not that it writes nothing (pulumi/pulumi pkg/secrets/passphrase/manager.go)", () => {
    const readme = readFileSync("README.md", "utf8");
    const configuration = readFileSync("docs/configuration.md", "utf8");
    // The tracked files Pulumi would add a salt to on their stack's creation.
    const unsalted = ["staging", "prod"].filter((stack) => !/^encryptionsalt:/m.test(readFileSync(`Pulumi.${stack}.yaml`, "utf8")));
    expect(unsalted.length).toBeGreaterThan(0);
    expect(readme).not.toMatch(/It writes\s+nothing into any tracked file/);
    expect(readme).toMatch(/On dev it\s+writes nothing into any tracked file/);
    expect(readme).toContain("`encryptionsalt`");
    expect(configuration).toContain("**what is written into a tracked file**");
  });

  it("name a maintained ingress controller in the Kubernetes example, and say how to choose one", () => {
    // Community ingress-nginx is retired (Kubernetes SIG Network, 2025-11-11: no releases after March 2026);
    // its class is `nginx`, which the example must not send a new cluster to.
    const example = parse(readFileSync("Pulumi.prod-k8s.yaml", "utf8")) as { config: Record<string, string> };
    expect(example.config["kinde-hasura:ingressClass"]).toBe("traefik");
    const kubernetes = readFileSync("docs/kubernetes.md", "utf8");
    expect(kubernetes).toContain("**Choosing an ingress controller.**");
    expect(kubernetes).toMatch(/community `ingress-nginx` controller is retired/);
  });

  it("name only repository paths that exist", () => {
    const pathLike = /(?<![\w./-])((?:core|infra|scripts|tests|docs|kindeSrc|migrations|metadata|seeds|\.github|\.ci)\/[\w./-]*[\w/])/g;
    const missing: string[] = [];
    for (const doc of DOCS) {
      for (const [, path] of read(doc).matchAll(pathLike)) {
        // Placeholders such as migrations/default/<version>_<name> are not paths.
        if (path && !path.includes("<") && !existsSync(inProject(path))) missing.push(`${doc}: ${path}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it("cite upstream sources by public URL or repository and path, never by a path outside this repository", () => {
    for (const doc of DOCS) expect(read(doc), doc).not.toMatch(/\.\.\/shared|\/work\//);
  });
});
