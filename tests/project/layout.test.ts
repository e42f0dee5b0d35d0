// The import graph the layout promises (README.md, Layout): core/ is shared by the program and the CLIs
// and depends on neither; infra/ (the program) reaches nothing in scripts/; nothing shipped reaches
// into tests/. A static read of each file's relative import specifiers, resolved against its folder.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../core/project-root.js";

function sourceFiles(folder: string): string[] {
  return readdirSync(join(PROJECT_ROOT, folder), { recursive: true, encoding: "utf8" })
    .filter((name) => /\.(ts|cjs|mjs)$/.test(name))
    .map((name) => join(folder, name));
}

/** Top-level folders a file's relative imports land in, e.g. ["core", "scripts"]. */
function importedFolders(file: string, text: string): string[] {
  const specifiers = [...text.matchAll(/(?:\bfrom|\bimport|\brequire)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g)].map((m) => m[1]!);
  return specifiers.map((s) => relative(PROJECT_ROOT, join(PROJECT_ROOT, dirname(file), s)).split(/[\\/]/)[0]!);
}

function reaches(folder: string): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const file of sourceFiles(folder)) {
    found.set(file, importedFolders(file, readFileSync(join(PROJECT_ROOT, file), "utf8")));
  }
  return found;
}

function offenders(folder: string, forbidden: string[]): string[] {
  return [...reaches(folder)].flatMap(([file, folders]) => folders.filter((f) => forbidden.includes(f)).map((f) => `${file} -> ${f}/`));
}

describe("layout: who may import whom", () => {
  it("reads import specifiers the way the check needs (so an empty result means something)", () => {
    const sample = 'import { a } from "../scripts/lib/x.js";\nconst b = await import("../core/y.js");\nexport * from "./z.js";';
    expect(importedFolders("infra/index.ts", sample)).toEqual(["scripts", "core", "infra"]);
  });

  it("core/ imports nothing from infra/, scripts/ or tests/", () => {
    expect(sourceFiles("core").length).toBeGreaterThan(5);
    expect(offenders("core", ["infra", "scripts", "tests"])).toEqual([]);
  });

  it("infra/ (the Pulumi program and its policy pack) imports nothing from scripts/ or tests/", () => {
    expect(sourceFiles("infra").length).toBeGreaterThan(5);
    expect(offenders("infra", ["scripts", "tests"])).toEqual([]);
  });

  it("scripts/ imports nothing from infra/ or tests/ (the shared part lives in core/)", () => {
    expect(offenders("scripts", ["infra", "tests"])).toEqual([]);
  });
});

describe("errors: one base class for what a person can act on", () => {
  // The rehearsal's Hasura stand-in answers its own protocol errors over HTTP; they never reach a CLI.
  const PROTOCOL_ERRORS = new Set(["AuthError", "GraphqlError", "JwtConfigError", "StandInStartError"]);
  const classes = ["core", "infra", "scripts"]
    .flatMap(sourceFiles)
    .flatMap((file) =>
      [...readFileSync(join(PROJECT_ROOT, file), "utf8").matchAll(/class (\w+) extends (\w+)/g)].map((m) => ({ file, name: m[1]!, base: m[2]! })),
    );

  it("every error class of core/, infra/ and scripts/ is an ExpectedFailure, so runCli prints it instead of a stack trace", () => {
    const errorClasses = classes.filter((c) => /Error$|Failure$/.test(c.base));
    expect(errorClasses.length).toBeGreaterThan(20);
    const plain = errorClasses
      .filter((c) => c.base === "Error" && c.name !== "ExpectedFailure" && !PROTOCOL_ERRORS.has(c.name))
      .map((c) => `${c.file}: ${c.name}`);
    expect(plain).toEqual([]);
  });

  it("names each error after its class, as the message printed with a bug's stack says it", async () => {
    const { ConfigError } = await import("../../core/settings/reader.js");
    const { BackupError } = await import("../../scripts/lib/db/backup.js");
    const { UsageError } = await import("../../scripts/lib/cli/env.js");
    expect([new ConfigError("dev", ["x"]), new BackupError("x"), new UsageError("x")].map((e) => [e.name, e.exitCode])).toEqual([
      ["ConfigError", 1],
      ["BackupError", 1],
      ["UsageError", 2],
    ]);
  });

  it("no CLI lists error classes for runCli any more: a forgotten entry was a stack trace", () => {
    const lists = sourceFiles("scripts").filter((file) => /runCli\([^;]*expected:/s.test(readFileSync(join(PROJECT_ROOT, file), "utf8")));
    expect(lists).toEqual([]);
  });
});

describe("dev/ and examples/: the rehearsal, benchmarks, throwaway servers and the example app stay out of the product", () => {
  it("nothing in core/, infra/ or scripts/ imports dev/ or examples/, and the tools image copies neither", () => {
    expect(sourceFiles("dev").length).toBeGreaterThan(10);
    expect(sourceFiles("examples").length).toBeGreaterThan(5);
    for (const folder of ["core", "infra", "scripts"]) expect(offenders(folder, ["dev", "examples"]), folder).toEqual([]);
    const dockerfile = readFileSync(join(PROJECT_ROOT, "tools.Dockerfile"), "utf8");
    expect(dockerfile).not.toMatch(/COPY\s+(dev|examples)\//);
    expect(dockerfile).toMatch(/^COPY scripts\/ scripts\/$/m);
  });
});
