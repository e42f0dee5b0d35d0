// Where `pulumi up` runs the program and its local commands, and whether what they name is there.
// The engine derives the working directory from Pulumi.yaml (pulumi/pulumi pkg/engine/project.go
// getPwdMain: `if maininfo.IsDir() { pwd = main; main = "." }`), chdirs the language host there
// (@pulumi/pulumi cmd/run/run.js `process.chdir(pwd)`) and starts every provider plugin there
// (`cmd.Dir = pwd`), so a command.local.Command without `dir` runs in it (pulumi-command
// provider/pkg/provider/local/commandOutputs.go: `os.Getwd()`). With `main: infra/` that was infra/,
// where scripts/migrate.ts does not exist: every step of a real deploy would have failed.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { PROJECT_ROOT } from "../../core/project-root.js";
import { enginePwdMain, pathsInCommand, readProjectFile } from "../../dev/rehearsal/engine-pwd.js";
import { devConfig, rsaKeyPair, SECRET_KEYS } from "../support/fixtures.js";
import { type ProgramRun, runProgram } from "../support/pulumi-program.js";

/** Every path-like word of every local command that does not exist from the provider's directory. */
function missingFrom(pwd: string, run: ProgramRun): string[] {
  return run.resources
    .filter((r) => r.type === "command:local:Command")
    .flatMap((r) => {
      const dir = typeof r.inputs.dir === "string" ? join(pwd, r.inputs.dir) : pwd;
      const commands = [r.inputs.create, r.inputs.update, r.inputs.delete].filter((c): c is string => typeof c === "string");
      return [...new Set(commands.flatMap(pathsInCommand))].filter((p) => !existsSync(join(dir, p))).map((p) => `${r.name}: ${p}`);
    });
}

describe("the engine's working directory (getPwdMain)", () => {
  const scratch = mkdtempSync(join(tmpdir(), "kh-pwd-"));
  mkdirSync(join(scratch, "infra"));
  writeFileSync(join(scratch, "infra", "index.ts"), "");

  it("is the project root without main, the main directory itself, or a main file's parent", () => {
    expect(enginePwdMain(scratch, undefined)).toEqual({ pwd: scratch, main: "." });
    expect(enginePwdMain(scratch, "infra/")).toEqual({ pwd: join(scratch, "infra"), main: "." });
    expect(enginePwdMain(scratch, "infra/index.ts")).toEqual({ pwd: join(scratch, "infra"), main: "index.ts" });
  });

  it("refuses an absolute, escaping or missing main as the engine does", () => {
    expect(() => enginePwdMain(scratch, "/etc")).toThrow("project 'main' must be a relative path");
    expect(() => enginePwdMain(scratch, "../elsewhere")).toThrow("project 'main' must be a subfolder");
    expect(() => enginePwdMain(scratch, "nope/")).toThrow(/project 'main' could not be read/);
  });

  it("is the project root for this project, with package.json naming the program", () => {
    const project = readProjectFile(PROJECT_ROOT);
    expect(project.main).toBeUndefined();
    expect(enginePwdMain(PROJECT_ROOT, project.main)).toEqual({ pwd: PROJECT_ROOT, main: "." });
    const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, "package.json"), "utf8")) as { main?: string; exports?: unknown };
    // run.js takes `exports` before `main`: none may shadow it.
    expect(pkg.exports).toBeUndefined();
    expect(pkg.main).toBe("infra/index.ts");
    expect(existsSync(join(PROJECT_ROOT, pkg.main as string))).toBe(true);
    // ts-node reads tsconfig.json from the working directory (run.js defaultTsConfigPath).
    expect(existsSync(join(PROJECT_ROOT, "tsconfig.json"))).toBe(true);
  });
});

describe("the local commands of a deploy", () => {
  let run: ProgramRun;
  beforeAll(async () => {
    run = await runProgram("dev", devConfig(rsaKeyPair().privateKeyPem), SECRET_KEYS);
  });

  it("name scripts and paths that exist where the command provider runs them", () => {
    const { pwd } = enginePwdMain(PROJECT_ROOT, readProjectFile(PROJECT_ROOT).main);
    const commands = run.resources.filter((r) => r.type === "command:local:Command");
    expect(commands.map((c) => c.name).sort()).toEqual(["metadata-run", "migrations-run", "migrations-sync-run", "seeds-run", "smoke-run"]);
    expect(commands.flatMap((c) => pathsInCommand(String(c.inputs.create)))).toEqual([
      "scripts/migrate.ts",
      "scripts/seed.ts",
      "scripts/migrate.ts",
      "scripts/metadata.ts",
      "scripts/smoke.ts",
    ]);
    expect(missingFrom(pwd, run)).toEqual([]);
    // `node --import tsx` resolves tsx from the working directory.
    expect(() => createRequire(join(pwd, "noop.js")).resolve("tsx")).not.toThrow();
  });

  it("would have caught the old `main: infra/`: from infra/ none of the scripts exists", () => {
    const old = enginePwdMain(PROJECT_ROOT, "infra/");
    expect(old.pwd).toBe(join(PROJECT_ROOT, "infra"));
    expect(missingFrom(old.pwd, run)).toEqual([
      "migrations-run: scripts/migrate.ts",
      "seeds-run: scripts/seed.ts",
      "migrations-sync-run: scripts/migrate.ts",
      "metadata-run: scripts/metadata.ts",
      "smoke-run: scripts/smoke.ts",
    ]);
  });
});

describe("Pulumi.yaml", () => {
  const declared = parse(readFileSync(join(PROJECT_ROOT, "Pulumi.yaml"), "utf8")).config as Record<string, { default?: unknown; secret?: boolean }>;

  it("declares no secret key with a default: the CLI would refuse every stack that leaves it unset", () => {
    // pulumi/pulumi pkg/workspace: "Stack '%v' with configuration key '%v' must be encrypted as it's secret".
    const offending = Object.entries(declared)
      .filter(([, d]) => d.secret === true && d.default !== undefined)
      .map(([k]) => k);
    expect(offending).toEqual([]);
  });
});
