// The tools image: its content digest, the CLI that builds it (with a recording docker stand-in), and
// what it installs. The image (tools.Dockerfile) installs runtime dependencies only (`npm ci --omit=dev`) and copies
// core/, scripts/, migrations/, metadata/ and seeds/. Every module a step script reaches must therefore
// live in those folders and import only Node's own modules and packages listed in `dependencies`.
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { inProject, PROJECT_ROOT } from "../../core/project-root.js";
import { STEPS } from "../../core/steps.js";
import { leftOutOfToolsImage, toolsContent } from "../../core/tools-content.js";

const COPIED = ["core", "scripts", "migrations", "metadata", "seeds"];

/** Every module reachable from `entry` by static and dynamic relative imports, and the packages they import. */
function reach(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const todo = [entry];
  while (todo.length > 0) {
    const file = todo.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    const text = readFileSync(file, "utf8");
    const specifiers = [
      ...text.matchAll(/^\s*(?:import|export)\s[^;]*?\bfrom\s*["']([^"']+)["']/gm),
      ...text.matchAll(/^\s*import\s*["']([^"']+)["']/gm),
      ...text.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g),
    ];
    for (const [, spec] of specifiers) {
      if (spec!.startsWith(".")) {
        const target = join(dirname(file), spec!.replace(/\.js$/, ".ts"));
        if (existsSync(target)) todo.push(target);
      } else if (!spec!.startsWith("node:") && !builtinModules.includes(spec!)) {
        packages.add(spec!.startsWith("@") ? spec!.split("/").slice(0, 2).join("/") : spec!.split("/")[0]!);
      }
    }
  }
  return { files, packages };
}

describe("the tools image", () => {
  const pkg = JSON.parse(readFileSync(inProject("package.json"), "utf8")) as { dependencies: Record<string, string> };

  it("holds every module the step scripts reach, and their packages are runtime dependencies", () => {
    const scripts = new Set(Object.values(STEPS).map((s) => s.script));
    expect(scripts.size).toBeGreaterThanOrEqual(6);
    for (const script of scripts) {
      const { files, packages } = reach(inProject(script));
      for (const f of files) expect(COPIED, `${script} reaches ${relative(PROJECT_ROOT, f)}`).toContain(relative(PROJECT_ROOT, f).split("/")[0]);
      for (const p of packages) expect(Object.keys(pkg.dependencies), `${script} imports ${p}`).toContain(p);
    }
    // tsx runs them: a runtime dependency too.
    expect(Object.keys(pkg.dependencies)).toContain("tsx");
  });

  it("is built the way the test above assumes", () => {
    const dockerfile = readFileSync(inProject("tools.Dockerfile"), "utf8");
    expect(dockerfile).toContain("RUN npm ci --omit=dev --ignore-scripts");
    for (const folder of COPIED) expect(dockerfile).toContain(`COPY ${folder}/ ${folder}/`);
    expect(dockerfile).toMatch(/^FROM node:24\.\d+\.\d+-bookworm-slim$/m);
    expect(dockerfile).toMatch(/^USER 1000:1000$/m);
  });
});

describe("one Node.js release everywhere the project runs", () => {
  it("pins the same supported LTS in the tools image, the CI container and .ci/run, and engines admits it", () => {
    // Node.js 20 left support on 2026-04-30 (nodejs/Release schedule.json); 24 is an LTS line until 2028-04-30.
    const release = (text: string, pattern: RegExp) => pattern.exec(text)?.[1];
    const image = release(readFileSync(inProject("tools.Dockerfile"), "utf8"), /^FROM node:(\d+\.\d+\.\d+)-bookworm-slim$/m);
    const container = release(readFileSync(inProject(".github/workflows/pull-request.yml"), "utf8"), /container: node:(\d+\.\d+\.\d+)-bookworm$/m);
    const ci = release(readFileSync(inProject(".ci/run"), "utf8"), /^NODE_RELEASE=(\d+\.\d+\.\d+)$/m);
    expect(image).toBeDefined();
    expect([container, ci]).toEqual([image, image]);
    const [major, minor] = (image as string).split(".").map(Number) as [number, number];
    expect(major).toBe(24);
    const engines = JSON.parse(readFileSync(inProject("package.json"), "utf8")).engines.node as string;
    const [, floorMajor, floorMinor] = /^>=(\d+)\.(\d+)$/.exec(engines) ?? [];
    expect(Number(floorMajor)).toBe(major);
    expect(minor).toBeGreaterThanOrEqual(Number(floorMinor));
    for (const workflow of ["pull-request.yml", "prune-previews.yml"]) {
      const versions = [...readFileSync(inProject(`.github/workflows/${workflow}`), "utf8").matchAll(/node-version: (\S+)/g)].map((m) => m[1]);
      expect(versions.length, workflow).toBeGreaterThan(0);
      for (const v of versions) expect(v, workflow).toBe(String(major));
    }
  });
});

describe("the tools image's content digest (core/tools-content.ts)", () => {
  const tree = (files: Record<string, string>) => {
    const root = mkdtempSync(join(tmpdir(), "tools-content-"));
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text);
    }
    return root;
  };
  const base: Record<string, string> = {
    "core/a.ts": "export const a = 1;\n",
    "scripts/b.ts": "console.log('b');\n",
    "migrations/default/1700000000000_x/up.sql": "CREATE TABLE x ();\n",
    "metadata/version.yaml": "version: 3\n",
    "seeds/default/1.sql": "SELECT 1;\n",
    "package.json": "{}\n",
    "package-lock.json": "{}\n",
    "tsconfig.json": "{}\n",
    "tools.Dockerfile": "FROM node\n",
  };

  it("changes with what the image holds, and only with that: not line endings, dot files or keys", () => {
    const digest = toolsContent(tree(base));
    expect(digest).toMatch(/^c-[0-9a-f]{12}$/);
    expect(toolsContent(tree(base))).toBe(digest);
    const crlf = Object.fromEntries(Object.entries(base).map(([p, t]) => [p, t.replace(/\n/g, "\r\n")]));
    expect(toolsContent(tree(crlf))).toBe(digest);
    expect(toolsContent(tree({ ...base, "scripts/.DS_Store": "junk", "core/key.pem": "k", "seeds/.env": "X=1" }))).toBe(digest);
    expect(toolsContent(tree({ ...base, "migrations/default/1700000000001_y/up.sql": "CREATE TABLE y ();\n" }))).not.toBe(digest);
    expect(toolsContent(tree({ ...base, "tsconfig.json": '{"strict":true}\n' }))).not.toBe(digest);
  });

  it("leaves out of the digest exactly what .dockerignore leaves out of the image", () => {
    const dockerignore = readFileSync(inProject(".dockerignore"), "utf8");
    for (const pattern of ["**/.*", "**/*.pem", "**/passphrase*", "**/node_modules"]) expect(dockerignore).toContain(pattern);
    for (const name of [".DS_Store", ".env", "key.pem", "passphrase", "node_modules"]) expect(leftOutOfToolsImage(name), name).toBe(true);
    for (const name of ["up.sql", "index.ts", "version.yaml"]) expect(leftOutOfToolsImage(name), name).toBe(false);
  });
});

describe("npm run tools-image (a recording stand-in for the docker CLI on PATH)", () => {
  it("passes --platform through to docker build, with the content digest as a build argument", { timeout: 30_000 }, async () => {
    const bin = mkdtempSync(join(tmpdir(), "fake-docker-"));
    const log = join(bin, "calls.log");
    writeFileSync(
      join(bin, "docker"),
      `#!/bin/sh\necho "$*" >> "${log}"\nif [ "$1" = image ]; then echo '["r.io/acme/kinde-hasura-tools@sha256:${"ab".repeat(32)}"]'; fi\nexit 0\n`,
      { mode: 0o755 },
    );
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["--import", "tsx", "scripts/tools-image.ts", "--registry", "r.io/acme", "--platform", "linux/arm64"],
      {
        cwd: PROJECT_ROOT,
        env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
      },
    );
    expect(stdout.trim()).toBe(`r.io/acme/kinde-hasura-tools@sha256:${"ab".repeat(32)}`);
    const build = readFileSync(log, "utf8")
      .split("\n")
      .find((l) => l.startsWith("build "));
    expect(build).toBe(
      `build --platform linux/arm64 --file tools.Dockerfile --build-arg TOOLS_CONTENT=${toolsContent(PROJECT_ROOT)} --tag r.io/acme/kinde-hasura-tools:${toolsContent(PROJECT_ROOT)} .`,
    );
  });
});
