// `npm run restore -- --stack`: the order of its steps and what a failure leaves behind, with each step
// recorded (no Docker, no Hasura here: these prove the sequence, not what Docker or Hasura do), and how
// a deployed stack's outputs become the superuser connection.
import { describe, expect, it } from "vitest";
import { parseStackSettings } from "../../core/settings/stack-settings.js";
import { credentialsOf, type DeployedStack, StackReadError, stackSuperuserUrl } from "../../scripts/lib/stacks/stack-reader.js";
import { restoreIntoStack, StackRestoreError, type StackRestoreSteps } from "../../scripts/lib/stacks/stack-restore.js";

function recordedSteps(failAt: Partial<Record<keyof StackRestoreSteps, string>> = {}): { steps: StackRestoreSteps; calls: string[] } {
  const calls: string[] = [];
  const step = (name: keyof StackRestoreSteps) => async () => {
    calls.push(name);
    const failure = failAt[name];
    if (failure) throw new Error(failure);
  };
  return {
    calls,
    steps: {
      stopHasura: step("stopHasura"),
      restore: step("restore"),
      startHasura: step("startHasura"),
      waitHealthy: step("waitHealthy"),
      applyMetadata: step("applyMetadata"),
      smoke: step("smoke"),
    },
  };
}

describe("restore into a stack (steps recorded, not run)", () => {
  it("stops Hasura for the restore, then starts it, waits, re-applies the metadata and runs the smoke, in that order", async () => {
    const { steps, calls } = recordedSteps();
    const log: string[] = [];
    await restoreIntoStack(steps, (l) => log.push(l));
    expect(calls).toEqual(["stopHasura", "restore", "startHasura", "waitHealthy", "applyMetadata", "smoke"]);
    expect(log).toEqual(["- stop Hasura", "- restore", "- start Hasura", "- wait for Hasura", "- apply metadata", "- smoke"]);
  });

  it("touches nothing when Hasura cannot be stopped", async () => {
    const { steps, calls } = recordedSteps({ stopHasura: "docker stop kinde-hasura-dev-hasura: No such container" });
    const attempt = restoreIntoStack(steps, () => {});
    await expect(attempt).rejects.toThrow(
      'restore into the stack failed at step "stop Hasura": docker stop kinde-hasura-dev-hasura: No such container',
    );
    expect(calls).toEqual(["stopHasura"]);
  });

  it("starts Hasura again when the restore fails, and reports the restore's error", async () => {
    const { steps, calls } = recordedSteps({ restore: "pg_restore of /b/app.dump failed: ERROR: out of disk" });
    const attempt = restoreIntoStack(steps, () => {});
    await expect(attempt).rejects.toBeInstanceOf(StackRestoreError);
    await expect(attempt).rejects.toMatchObject({
      step: "restore",
      message: 'restore into the stack failed at step "restore": pg_restore of /b/app.dump failed: ERROR: out of disk',
    });
    expect(calls).toEqual(["stopHasura", "restore", "startHasura"]);
  });

  it("says so when Hasura does not start again after a failed restore", async () => {
    const { steps } = recordedSteps({ restore: "pg_restore failed", startHasura: "docker start: daemon gone" });
    await expect(restoreIntoStack(steps, () => {})).rejects.toThrow(
      'restore into the stack failed at step "restore": pg_restore failed; and Hasura did not start again (docker start it by hand): docker start: daemon gone',
    );
  });

  it("names the smoke when the restored stack fails it", async () => {
    const { steps, calls } = recordedSteps({ smoke: "npm run smoke -- --stack dev exited with code 1" });
    await expect(restoreIntoStack(steps, () => {})).rejects.toMatchObject({ step: "smoke" });
    expect(calls.at(-1)).toBe("smoke");
  });
});

describe("a deployed stack's superuser connection", () => {
  const deployed = (outputs: Record<string, unknown>, config: Record<string, string> = {}): DeployedStack => {
    const settings = parseStackSettings((k) => config[k], { project: "kinde-hasura", stack: "dev" });
    return { settings, outputs, credentials: credentialsOf(settings, outputs) };
  };

  it("uses the generated password from the secret output, on the loopback port, percent-encoded", () => {
    const url = stackSuperuserUrl(deployed({ postgresPort: 15432, postgresSuperuserPassword: "p@ss/w:rd" }));
    expect(url).toBe("postgres://postgres:p%40ss%2Fw%3Ard@127.0.0.1:15432/app");
    expect(new URL(url).password).toBe(encodeURIComponent("p@ss/w:rd"));
  });

  it("prefers the configured password, which is what the program used", () => {
    expect(stackSuperuserUrl(deployed({ postgresPort: 1, postgresSuperuserPassword: "from-output" }, { postgresPassword: "from-config" }))).toContain(
      ":from-config@",
    );
  });

  it("refuses a stack that was never brought up or predates the output, saying what to do", () => {
    expect(() => stackSuperuserUrl(deployed({}))).toThrow("Stack dev has no postgresPort output; run `pulumi up --stack dev` first");
    expect(() => stackSuperuserUrl(deployed({ postgresPort: 15432 }))).toThrow(StackReadError);
    expect(() => stackSuperuserUrl(deployed({ postgresPort: 15432 }))).toThrow(
      "neither a postgresPassword setting nor a postgresSuperuserPassword output",
    );
    expect(() => stackSuperuserUrl(deployed({ postgresPort: -1, postgresSuperuserPassword: "x" }))).toThrow("no postgresPort output");
  });

  it("refuses a Kubernetes stack, whose database is inside the cluster, and says how to reach it", () => {
    const k8s = deployed({ postgresSuperuserPassword: "x" }, { target: "kubernetes", toolsImage: "registry.acme.com/kinde-hasura-tools:1.0.0" });
    expect(() => stackSuperuserUrl(k8s)).toThrow(
      "Stack dev runs on Kubernetes, where its database is inside the cluster: forward it (`kubectl --namespace kinde-hasura-dev " +
        "port-forward svc/postgres-rw 5432`) and pass DATABASE_URL instead of --stack (docs/kubernetes.md)",
    );
  });
});
