// The step contract (core/steps.ts) both sides use: the program builds each command and environment
// from it, each script reads its inputs through it. Here every declared command is started the way the
// provider starts it, with none of its variables set, and must name exactly the required ones.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { inProject, PROJECT_ROOT } from "../../core/project-root.js";
import { RenamedVariableError, readStepInputs, STEPS, type StepContract, stepCommand, stepEnvironment } from "../../core/steps.js";

const exec = promisify(execFile);
const ALL_STEPS = Object.entries(STEPS) as [string, StepContract][];

/** Runs a step's command as the provider does (`sh -c`, in the project root), without any of the step's variables. */
async function runWithoutInputs(step: StepContract): Promise<{ code: number; stderr: string }> {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH };
  try {
    await exec("sh", ["-c", stepCommand(step)], { cwd: PROJECT_ROOT, env, timeout: 30_000 });
    return { code: 0, stderr: "" };
  } catch (err) {
    const e = err as { code: number; stderr: string };
    return { code: e.code, stderr: e.stderr };
  }
}

describe("the step contract", () => {
  it("names scripts that exist and folders to watch that exist, relative to the project root", () => {
    for (const [, step] of ALL_STEPS) {
      expect(existsSync(inProject(step.script)), step.script).toBe(true);
      for (const dir of step.watch) expect(existsSync(inProject(dir)), dir).toBe(true);
    }
  });

  it("gives each input of a step its own variable", () => {
    for (const [name, step] of ALL_STEPS) {
      const variables = Object.values(step.env).map((v) => v.name);
      expect(new Set(variables).size, name).toBe(variables.length);
      for (const v of variables) expect(v).toMatch(/^[A-Z][A-Z0-9_]*$/);
    }
  });

  it("reads back what the program passes, drops unset inputs, and names the missing required ones", () => {
    const environment = stepEnvironment<typeof STEPS.kinde, string>(STEPS.kinde, {
      domain: "acme.kinde.com",
      clientId: "id",
      clientSecret: "s3cret",
      audience: "hasura",
    });
    expect(environment).toEqual({
      KINDE_MANAGEMENT_DOMAIN: "acme.kinde.com",
      KINDE_MANAGEMENT_CLIENT_ID: "id",
      KINDE_MANAGEMENT_CLIENT_SECRET: "s3cret",
      KINDE_AUDIENCE: "hasura",
    });
    expect(readStepInputs(STEPS.kinde, environment)).toEqual({
      inputs: { domain: "acme.kinde.com", clientId: "id", clientSecret: "s3cret", audience: "hasura" },
      missing: [],
    });
    // An empty value is as good as unset: a required one is reported, an optional one left out.
    const partial = readStepInputs(STEPS.kinde, {
      KINDE_MANAGEMENT_DOMAIN: "acme.kinde.com",
      KINDE_MANAGEMENT_CLIENT_ID: "",
      KINDE_APP_CLIENT_ID: "",
    });
    expect(partial.inputs).toEqual({ domain: "acme.kinde.com" });
    expect(partial.missing.map((v) => v.name)).toEqual(["KINDE_MANAGEMENT_CLIENT_ID", "KINDE_MANAGEMENT_CLIENT_SECRET"]);
    // The former name alone is refused, naming the new one; beside the new one it is ignored.
    expect(() => readStepInputs(STEPS.kinde, { KINDE_DOMAIN: "acme.kinde.com" })).toThrow(RenamedVariableError);
    expect(() => readStepInputs(STEPS.smoke, { KINDE_DOMAIN: "acme.kinde.com" })).toThrow(
      /^KINDE_DOMAIN is now KINDE_MANAGEMENT_DOMAIN \(your \*\.kinde\.com domain .*\); set that name instead$/,
    );
    expect(readStepInputs(STEPS.kinde, { KINDE_DOMAIN: "old.kinde.com", KINDE_MANAGEMENT_DOMAIN: "acme.kinde.com" }).inputs.domain).toBe(
      "acme.kinde.com",
    );
  });

  it("starts every step with a required input as declared, and the script names each missing variable (exit 2)", { timeout: 90_000 }, async () => {
    const withRequired = ALL_STEPS.filter(([, step]) => Object.values(step.env).some((v) => !v.optional));
    // The smoke's inputs are all optional (it reads the rest from the stack), so it is not among these.
    expect(withRequired.map(([name]) => name).sort()).toEqual(["jwksCheck", "kinde", "metadata", "migrations", "migrationsSync", "seeds"]);
    for (let i = 0; i < withRequired.length; i += 2) {
      const pair = withRequired.slice(i, i + 2);
      const results = await Promise.all(pair.map(([, step]) => runWithoutInputs(step)));
      pair.forEach(([name, step], j) => {
        const { code, stderr } = results[j]!;
        expect(code, `${name}: ${stderr}`).toBe(2);
        for (const v of Object.values(step.env)) {
          if (v.optional) expect(stderr, name).not.toContain(`${v.name} is not set`);
          else expect(stderr, name).toContain(`${v.name} is not set; set it to ${v.holds}`);
        }
      });
    }
  });
});
