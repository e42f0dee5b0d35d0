// A target's steps as a table: each row names a step, what it is given, and what it waits for (earlier
// rows or the target's components, by name). Both targets use it (infra/docker/stack.ts,
// infra/kubernetes/stack.ts); each says how a row becomes a resource (a local command or a Job).
import type * as pulumi from "@pulumi/pulumi";

/** What a row may wait for: a resource, the resources a component is ready with, or nothing (a feature off). */
export type Waitable = pulumi.Resource | readonly pulumi.Resource[] | undefined;

export interface StepRow<Args> {
  /** The logical name; later rows wait for the step by it. */
  name: string;
  /** false leaves the row out (a feature the stack does not use); rows waiting for it do not wait. */
  when?: boolean;
  /** Names of earlier rows or of the components given to the table, in the order the step waits for them. */
  waitsFor: readonly string[];
  /** What the target makes the step of; needed only when the row is in. */
  args: Args | undefined;
}

/**
 * Creates the rows that are in, in order. A name that is neither a component nor an earlier row is a
 * mistake in the table and throws: a typo must not silently drop a wait.
 */
export function deploySteps<Args>(
  components: Readonly<Record<string, Waitable>>,
  rows: ReadonlyArray<StepRow<Args>>,
  create: (name: string, args: Args, dependsOn: pulumi.Resource[]) => pulumi.Resource,
): Record<string, pulumi.Resource | undefined> {
  const known: Record<string, Waitable> = { ...components };
  for (const row of rows) {
    const dependsOn = row.waitsFor.flatMap((name) => {
      if (!(name in known)) throw new Error(`step ${row.name} waits for ${name}, which is neither a component nor an earlier step`);
      const waitable = known[name];
      return waitable === undefined ? [] : Array.isArray(waitable) ? [...waitable] : [waitable as pulumi.Resource];
    });
    if (row.when === false) {
      known[row.name] = undefined;
      continue;
    }
    if (row.args === undefined) throw new Error(`step ${row.name} is in the table without its arguments`);
    known[row.name] = create(row.name, row.args, dependsOn);
  }
  return Object.fromEntries(rows.map((row) => [row.name, known[row.name] as pulumi.Resource | undefined]));
}
