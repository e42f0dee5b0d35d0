// The table both targets' steps are deployed from (infra/step-table.ts): order, waits by name, rows left
// out, and a wait on a name nobody has refused instead of dropped.
import type * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { deploySteps } from "../../infra/step-table.js";

// Stand-ins for resources: the table only passes them on.
const resource = (name: string) => ({ name }) as unknown as pulumi.Resource;
const nameOf = (r: pulumi.Resource) => (r as unknown as { name: string }).name;

describe("deploySteps", () => {
  it("creates the rows in order, each waiting for what it names, skipping rows that are out", () => {
    const created: string[] = [];
    const steps = deploySteps(
      { database: resource("database"), hasura: [resource("deployment"), resource("service")], edge: undefined },
      [
        { name: "migrations", waitsFor: ["database"], args: "m" },
        { name: "seeds", when: false, waitsFor: ["migrations"], args: "s" },
        { name: "metadata", waitsFor: ["hasura", "migrations", "edge"], args: "md" },
        { name: "smoke", waitsFor: ["metadata", "seeds"], args: "sm" },
      ],
      (name, args, dependsOn) => {
        created.push(`${name}(${args}) after ${dependsOn.map(nameOf).join(",")}`);
        return resource(name);
      },
    );
    expect(created).toEqual(["migrations(m) after database", "metadata(md) after deployment,service,migrations", "smoke(sm) after metadata"]);
    expect(Object.keys(steps)).toEqual(["migrations", "seeds", "metadata", "smoke"]);
    expect(steps.seeds).toBeUndefined();
  });

  it("refuses a wait on a name that is neither a component nor an earlier row (a typo must not drop a wait)", () => {
    const rows = [{ name: "metadata", waitsFor: ["migration"], args: "md" }];
    expect(() => deploySteps({ migrations: resource("m") }, rows, () => resource("x"))).toThrow(
      "step metadata waits for migration, which is neither a component nor an earlier step",
    );
    // A later row is not an earlier one.
    const backwards = [
      { name: "metadata", waitsFor: ["smoke"], args: "md" },
      { name: "smoke", waitsFor: [], args: "sm" },
    ];
    expect(() => deploySteps({}, backwards, () => resource("x"))).toThrow("step metadata waits for smoke");
  });
});
