// Deploy REHEARSALS (stand-ins for the engine, Docker and Hasura) of a team's schema laid over the project
// (tests/fixtures/access-schema): the smoke gate derives its checks from metadata/access.yaml for every
// owned table and subscribes over WebSocket; a leaking permission on the team's own table stops the
// deploy naming that table, and a table without a rule stops it at the metadata step.
import { describe, expect, it } from "vitest";
import { rehearse } from "../../dev/rehearsal/rehearse.js";
import { layAccessFixture } from "../support/access-fixture.js";
import { type ProjectCopy, projectCopy } from "../support/project-copy.js";

const env = { ...process.env, PULUMI_NODEJS_TRANSPILE_ONLY: "true" };
const rehearseCopy = (copy: ProjectCopy) => rehearse({ projectRoot: copy.root, stack: "dev", stateRoot: copy.stateRoot, env });

function teamCopy(label: string): ProjectCopy {
  const copy = projectCopy(label);
  layAccessFixture(copy.root);
  return copy;
}

describe("rehearsals of a team's schema (stand-ins for the engine, Docker and Hasura)", () => {
  it("passes with the derived checks of every owned table and the subscription checks", { timeout: 120_000 }, async () => {
    const report = await rehearseCopy(teamCopy("rehearse-team"));
    expect(report.failure?.message).toBeUndefined();
    expect(report.ok).toBe(true);
    const smoke = report.smokeOutput ?? "";
    for (const table of ["public.users", "public.notes", "public.lists", "public.todos"]) {
      expect(smoke).toContain(`PASS  ${table}: the list field shows exactly the caller's rows`);
      expect(smoke).toMatch(new RegExp(`Time for ${table.replace(".", "\\.")}: \\d+ checks in \\d+ ms`));
    }
    // categories is public-read: no owner, so no per-table checks; its relationship to notes is checked from notes' side.
    expect(smoke).not.toContain("PASS  public.categories:");
    expect(smoke).toContain("PASS  public.notes: no other user's row through categories.notes");
    expect(smoke).toContain("PASS  public.notes: _aggregate counts only the caller's rows");
    expect(smoke).toContain(
      "PASS  public.todos: an insert cannot choose another owner: expected error validation-failed or permission-error, no row, got error permission-error",
    );
    expect(smoke).toContain("PASS  subscription to users yields exactly the caller's rows and sees a change");
    expect(smoke).toContain("PASS  a token that expires during the subscription ends it");
    // The smoke ends when its checks do: no timer or socket left behind keeps the step running (run-cli.ts says so when one does).
    expect(smoke).not.toContain("something left a handle open");
  });

  it("stops at the smoke gate naming the table when a team's table leaks", { timeout: 120_000 }, async () => {
    const copy = teamCopy("rehearse-team-leak");
    copy.edit(
      "metadata/databases/default/tables/public_todos.yaml",
      "      filter:\n        list: { owner_id: { _eq: X-Hasura-User-Id } }\nupdate",
      "      filter: {}\nupdate",
    );
    const report = await rehearseCopy(copy);
    expect(report.ok).toBe(false);
    expect(report.failure?.step).toBe("smoke-run");
    expect(report.failure?.message).toContain("FAILED public.todos: the list field shows exactly the caller's rows");
    expect(report.failure?.message).toContain("FAILED public.todos: another user's row through _by_pk is null");
    // Through lists.todos the caller still meets only its own todos: it sees only its own list.
    expect(report.failure?.message).not.toContain("FAILED public.todos: no other user's row through lists.todos");
    expect(report.failure?.message).not.toContain("FAILED public.notes");
  });

  it("stops at the metadata step naming a tracked table that has no rule", { timeout: 120_000 }, async () => {
    const copy = teamCopy("rehearse-team-unruled");
    copy.edit("metadata/access.yaml", "  public.todos:\n    user: { owner_via: list }\n", "");
    const report = await rehearseCopy(copy);
    expect(report.ok).toBe(false);
    expect(report.failure?.step).toBe("metadata-run");
    expect(report.failure?.message).toContain("public.todos is tracked but has no entry in metadata/access.yaml");
  });
});
