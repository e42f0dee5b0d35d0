// The tools image (tools.Dockerfile) installs runtime dependencies only (`npm ci --omit=dev`) and copies
// core/, scripts/, migrations/, metadata/ and seeds/. Every module a step script reaches must therefore
// live in those folders and import only Node's own modules and packages listed in `dependencies`.
import { existsSync, readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { inProject, PROJECT_ROOT } from "../core/project-root.js";
import { STEPS } from "../core/steps.js";

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
    expect(dockerfile).toMatch(/^FROM node:20\.\d+\.\d+-bookworm-slim$/m);
    expect(dockerfile).toMatch(/^USER 1000:1000$/m);
  });
});
