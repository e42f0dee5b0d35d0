// The one place scripts start other programs (pulumi, docker). Arguments go as an array, never through
// a shell, and secret values go on stdin, never in argv where `ps` would show them.
import { spawnSync } from "node:child_process";

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CommandOptions {
  /** Written to the command's stdin (for secrets). */
  input?: string;
  /** Let the user see and answer the command (pulumi up's preview and prompt). */
  interactive?: boolean;
  env?: NodeJS.ProcessEnv;
  /** Working directory (default: this process's). */
  cwd?: string;
}

export type Runner = (command: string, args: string[], options?: CommandOptions) => CommandResult;

export const runCommand: Runner = (command, args, options = {}) => {
  const result = spawnSync(command, args, {
    input: options.input,
    env: options.env ?? process.env,
    ...(options.cwd ? { cwd: options.cwd } : {}),
    stdio: options.interactive ? "inherit" : ["pipe", "pipe", "pipe"],
    encoding: "utf8",
  });
  if (result.error && (result.error as NodeJS.ErrnoException).code === "ENOENT") {
    return { code: 127, stdout: "", stderr: `${command}: not found` };
  }
  return { code: result.status ?? 1, stdout: result.stdout ?? "", stderr: result.stderr ?? "" };
};

/** What each tool is for and where to get it, for the message when it is missing. */
const PREREQUISITES = {
  docker: {
    probe: ["version", "--format", "{{.Server.Version}}"],
    missing: "Docker is not installed (no `docker` on PATH). Install Docker Desktop or Docker Engine: https://docs.docker.com/get-docker/",
    notRunning:
      "Docker is installed but its daemon does not answer (`docker version` failed). Start Docker Desktop or the docker service, or set DOCKER_HOST.",
  },
  pulumi: {
    probe: ["version"],
    missing:
      "The Pulumi CLI is not installed (no `pulumi` on PATH). Install it: https://www.pulumi.com/docs/iac/download-install/ " +
      "(for example `curl -fsSL https://get.pulumi.com | sh`).",
    notRunning: "The Pulumi CLI is installed but `pulumi version` failed; reinstall it: https://www.pulumi.com/docs/iac/download-install/",
  },
} as const;

export type Tool = keyof typeof PREREQUISITES;

/** One message per missing or broken tool; empty when all of `tools` work. */
export function missingPrerequisites(run: Runner, tools: Tool[]): string[] {
  const problems: string[] = [];
  for (const tool of tools) {
    const p = PREREQUISITES[tool];
    const result = run(tool, [...p.probe]);
    if (result.code === 127) problems.push(p.missing);
    else if (result.code !== 0) problems.push(p.notRunning);
  }
  return problems;
}
