import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { hashDirectory } from "../../core/content-hash.js";
import { inProject } from "../../core/project-root.js";
import { formerNamesCleared, type StepContract, type StepInputs, stepCommand, stepEnvironment } from "../../core/steps.js";

export interface ScriptStepArgs<S extends StepContract> {
  /** What runs: script, arguments, the folders it reads and its environment variables (core/steps.ts). */
  step: S;
  /** The step's inputs, passed as its declared environment variables: the only way secrets reach it, never the command line. */
  inputs: StepInputs<S, pulumi.Input<string>>;
  /** Further values that run the step again when they change, e.g. a container id. */
  rerunWhen?: pulumi.Input<string>[];
}

/**
 * One step of `pulumi up` run by a script of ours on the machine running Pulumi (migrations, metadata,
 * Kinde setup, smoke test). It runs on create and again only when a watched file or a `rerunWhen`
 * value changes. A non-zero exit fails the update, and the provider puts the script's output in that
 * error (pulumi-command local/commandOutputs.go), so the scripts print no secret; on success the
 * output stays out of the logs and is a secret in state.
 */
export class ScriptStep<S extends StepContract> extends pulumi.ComponentResource {
  public readonly command: command.local.Command;

  constructor(name: string, args: ScriptStepArgs<S>, opts?: pulumi.ComponentResourceOptions) {
    super("kinde-hasura:index:ScriptStep", name, {}, opts);
    const run = stepCommand(args.step);
    this.command = new command.local.Command(
      `${name}-run`,
      {
        // Relative paths and no `dir`: the provider runs commands in its working directory, which is the
        // project root because Pulumi.yaml has no `main:` (pulumi/pulumi pkg/engine/project.go
        // getPwdMain; tests/program/engine-paths.test.ts). An absolute checkout path would differ between
        // machines and replace the command on every up.
        create: run,
        update: run,
        environment: { ...formerNamesCleared(args.step), ...stepEnvironment(args.step, args.inputs) },
        triggers: [...args.step.watch.map((dir) => hashDirectory(inProject(dir))), ...(args.rerunWhen ?? [])],
        logging: "none",
        addPreviousOutputInEnv: false,
      },
      // A component's dependsOn does not reach its children; the command must wait too.
      { parent: this, dependsOn: opts?.dependsOn, additionalSecretOutputs: ["stdout", "stderr"] },
    );
    this.registerOutputs({});
  }
}
