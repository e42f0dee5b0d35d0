import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    // Each file gets its own process: Pulumi's mocks and config are process-wide state.
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
