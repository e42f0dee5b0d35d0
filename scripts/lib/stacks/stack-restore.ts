// Restoring into a deployed stack, in the order that keeps Hasura from serving a half-restored
// database: stop Hasura, restore, start it, wait for it, apply the metadata again (the dump's
// hdb_catalog may hold older metadata), run the smoke. Each step is named in any failure, and Hasura is
// started again even when the restore fails (the data restore is one transaction: the data is as it
// was; roles the roles file created or altered stay, see scripts/lib/db/backup.ts).

import { ExpectedFailure } from "../../../core/expected-failure.js";
import { formerNames, STEPS } from "../../../core/steps.js";

export class StackRestoreError extends ExpectedFailure {
  constructor(
    readonly step: string,
    /** What went wrong, without the step. */
    readonly detail: string,
  ) {
    super(`restore into the stack failed at step "${step}": ${detail}`);
  }
}

export interface StackRestoreSteps {
  stopHasura(): Promise<void>;
  restore(): Promise<void>;
  startHasura(): Promise<void>;
  waitHealthy(): Promise<void>;
  applyMetadata(): Promise<void>;
  smoke(): Promise<void>;
}

export async function restoreIntoStack(steps: StackRestoreSteps, log: (line: string) => void): Promise<void> {
  const step = async (name: string, work: () => Promise<void>) => {
    log(`- ${name}`);
    try {
      await work();
    } catch (err) {
      // Ctrl-C signals the whole process group: the step's child (pg_restore, docker) may die of it and
      // be reported before this process's own SIGINT handler has run. Let a pending signal's handler win
      // before anything else happens (it starts Hasura again and exits 130); without this, the failure
      // path ran instead and exited 1 whenever the child's exit was processed first.
      await pendingSignalsDelivered();
      throw err instanceof StackRestoreError ? err : new StackRestoreError(name, (err as Error).message);
    }
  };
  await step("stop Hasura", steps.stopHasura);
  try {
    await step("restore", steps.restore);
  } catch (err) {
    // The data is as it was (one transaction): bring the stack back before reporting.
    try {
      await step("start Hasura again", steps.startHasura);
    } catch (startErr) {
      const detail = (e: unknown) => (e instanceof StackRestoreError ? e.detail : (e as Error).message);
      throw new StackRestoreError("restore", `${detail(err)}; and Hasura did not start again (docker start it by hand): ${detail(startErr)}`);
    }
    throw err;
  }
  await step("start Hasura", steps.startHasura);
  await step("wait for Hasura", steps.waitHealthy);
  await step("apply metadata", steps.applyMetadata);
  await step("smoke", steps.smoke);
}

/**
 * Resolves after the event loop has polled for I/O once more. A signal that arrived with a child's death
 * is already queued on libuv's signal pipe by then (the kernel delivered it to this process when it sent it
 * to the group), and its JavaScript handler runs during that poll; a timer, unlike setImmediate, keeps the
 * loop in the poll phase until it fires.
 */
export function pendingSignalsDelivered(ms = 50): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The variables scripts/smoke.ts prefers over --stack (scripts/lib/smoke/target.ts): all of its step's, and their former names. */
const SMOKE_OVERRIDES: string[] = [...Object.values(STEPS.smoke.env).map((variable) => variable.name), ...formerNames(STEPS.smoke)];

export function withoutSmokeOverrides(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([key]) => !SMOKE_OVERRIDES.includes(key)));
}
