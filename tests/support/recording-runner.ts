// A stand-in for the Pulumi and Docker CLIs, which these machines do not have: it answers from a
// table (first entry whose key prefixes "command args") and records every call, so tests check the
// command lines our scripts build, never Pulumi's behaviour.
import type { CommandOptions, CommandResult, Runner } from "../../scripts/lib/cli/shell.js";

export interface Call {
  command: string;
  args: string[];
  options: CommandOptions;
}

export function recordingRunner(answers: Record<string, Partial<CommandResult>>): { run: Runner; calls: Call[] } {
  const calls: Call[] = [];
  const run: Runner = (command, args, options = {}) => {
    calls.push({ command, args, options });
    const line = [command, ...args].join(" ");
    const key = Object.keys(answers).find((k) => line.startsWith(k));
    return { code: 0, stdout: "", stderr: "", ...(key ? answers[key] : {}) };
  };
  return { run, calls };
}

/** The pulumi calls, without the `pulumi version` probe, as command lines. */
export function pulumiLines(calls: Call[]): string[] {
  return calls.filter((c) => c.command === "pulumi" && c.args[0] !== "version").map((c) => c.args.join(" "));
}
