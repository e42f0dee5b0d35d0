// vitest compiles TypeScript its own way; `pulumi up` does not. This loads the program through
// Pulumi's own language-host code path (ts-node, the project's tsconfig, ESM) from the working
// directory and with the entry point the engine derives from Pulumi.yaml (pulumi/pulumi
// pkg/engine/project.go getPwdMain, ported in dev/rehearsal/engine-pwd.ts), so a program that only works
// under vitest, or only from the directory a test happens to run in, fails here rather than on a
// user's `pulumi up`.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../core/project-root.js";
import { enginePwdMain, readProjectFile } from "../../dev/rehearsal/engine-pwd.js";
import { devConfig, prodKindeConfig, prodKubernetesConfig, rsaKeyPair, SECRET_KEYS } from "../support/fixtures.js";

const exec = promisify(execFile);

async function loadLikePulumi(stack: string, config: Record<string, string>, typeCheck = true) {
  const { pwd, main } = enginePwdMain(PROJECT_ROOT, readProjectFile(PROJECT_ROOT).main);
  const full = Object.fromEntries(Object.entries(config).map(([k, v]) => [`kinde-hasura:${k}`, v]));
  const { stdout } = await exec(process.execPath, [`${PROJECT_ROOT}/tests/support/load-like-pulumi.cjs`], {
    // The engine starts the language host in pwd, and the host chdirs there again (run.js).
    cwd: pwd,
    env: {
      ...process.env,
      LOAD_TEST_ROOT: PROJECT_ROOT,
      LOAD_TEST_PWD: pwd,
      LOAD_TEST_MAIN: main,
      LOAD_TEST_STACK: stack,
      LOAD_TEST_CONFIG: JSON.stringify(full),
      LOAD_TEST_SECRET_KEYS: JSON.stringify(SECRET_KEYS.filter((k) => k in config).map((k) => `kinde-hasura:${k}`)),
      // Pulumi's own switch (cmd/run/run.js): the first test type-checks; the others need not repeat it.
      ...(typeCheck ? {} : { PULUMI_NODEJS_TRANSPILE_ONLY: "true" }),
    },
    timeout: 90_000,
  }).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? "" }));
  return JSON.parse(stdout.trim().split("\n").pop() as string) as {
    resources?: string[];
    outputs?: Record<string, unknown>;
    undefinedOutputs?: string[];
    error?: string;
  };
}

describe("loading the program the way `pulumi up` does", () => {
  it("type-checks and runs the program through Pulumi's ts-node ESM loader from the engine's pwd", { timeout: 90_000 }, async () => {
    const result = await loadLikePulumi("dev", devConfig(rsaKeyPair().privateKeyPem));
    expect(result.error).toBeUndefined();
    expect(result.resources).toContain("docker:index/container:Container hasura");
    expect(result.resources).toContain("postgresql:index/role:Role database-role");
    expect(result.outputs).toMatchObject({ hasuraUrl: "http://127.0.0.1:8080", jwtIssuer: "https://local-signer.invalid/kinde-hasura/dev" });
    // Each output left undefined is a warning on every `pulumi up` ("Undefined value (backupVolume) will
    // not show as a stack output", @pulumi/pulumi runtime/stack.ts massage): a dev stack has no backups.
    expect(result.undefinedOutputs).toEqual([]);
    expect(Object.keys(result.outputs ?? {})).not.toContain("backupVolume");
  });

  it("reports a refused configuration as the program's error", { timeout: 90_000 }, async () => {
    const result = await loadLikePulumi("prod", { ...prodKindeConfig(), hasuraDevMode: "true" }, false);
    expect(result.error).toContain('kinde-hasura:hasuraDevMode must be false on a production stack (production: true); got "true"');
    expect(result.resources).toBeUndefined();
  });

  it("loads a Kubernetes stack the same way: its target module imported only then, top-level await and all", { timeout: 90_000 }, async () => {
    const result = await loadLikePulumi("prod-k8s", prodKubernetesConfig(), false);
    expect(result.error).toBeUndefined();
    expect(result.resources).toContain("kubernetes:apps/v1:Deployment hasura");
    expect(result.resources?.filter((r) => r.startsWith("docker:"))).toEqual([]);
    expect(result.outputs).toMatchObject({ graphqlUrl: "https://api.acme.com/v1/graphql" });
    expect(result.undefinedOutputs).toEqual([]);
  });
});
