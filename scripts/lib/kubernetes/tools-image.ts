// Building the Kubernetes target's tools image: `docker build` of tools.Dockerfile, `docker push`, and
// the pushed image's reference by digest (what a production stack's toolsImage must be).

import { ExpectedFailure } from "../../../core/expected-failure.js";
import { toolsContent } from "../../../core/tools-content.js";
import { missingPrerequisites, type Runner } from "../cli/shell.js";

export class ToolsImageError extends ExpectedFailure {}

export const TOOLS_REPOSITORY = "kinde-hasura-tools";
const REGISTRY = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d{1,5})?(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/;

export interface ToolsImageOptions {
  run: Runner;
  repoRoot: string;
  /** Where to push, e.g. `registry.example.com/acme` or `ghcr.io/acme`. */
  registry: string;
  tag?: string;
  /** The nodes' platform (default linux/amd64): an image built on an arm64 laptop would not start on amd64 nodes. */
  platform?: string;
  log: (line: string) => void;
}

/** Builds, pushes and returns `<registry>/kinde-hasura-tools@sha256:<digest>`. */
export function buildToolsImage(o: ToolsImageOptions): string {
  if (!REGISTRY.test(o.registry)) {
    throw new ToolsImageError(
      `--registry must be a registry and path such as registry.example.com/acme (lower case, no tag); got ${JSON.stringify(o.registry)}`,
    );
  }
  const content = toolsContent(o.repoRoot);
  const tag = o.tag ?? content;
  if (o.platform !== undefined && !/^[a-z0-9]+\/[a-z0-9]+(\/[a-z0-9]+)?$/.test(o.platform)) {
    throw new ToolsImageError(`--platform must be a platform such as linux/amd64 or linux/arm64; got ${JSON.stringify(o.platform)}`);
  }
  if (!/^[\w][\w.-]{0,127}$/.test(tag)) throw new ToolsImageError(`--tag must be a Docker tag (letters, digits, _ . -); got ${JSON.stringify(tag)}`);
  const problems = missingPrerequisites(o.run, ["docker"]);
  if (problems.length > 0) throw new ToolsImageError(problems.join("\n"));

  const repository = `${o.registry}/${TOOLS_REPOSITORY}`;
  const reference = `${repository}:${tag}`;
  const step = (what: string, args: string[]) => {
    o.log(`${what}: docker ${args.join(" ")}`);
    const result = o.run("docker", args, { cwd: o.repoRoot });
    if (result.code !== 0)
      throw new ToolsImageError(`${what} failed (docker ${args[0]}):\n${(result.stderr || result.stdout).trim().split("\n").slice(-15).join("\n")}`);
    return result.stdout;
  };
  step("Building", [
    "build",
    "--platform",
    o.platform ?? "linux/amd64",
    "--file",
    "tools.Dockerfile",
    "--build-arg",
    `TOOLS_CONTENT=${content}`,
    "--tag",
    reference,
    ".",
  ]);
  step("Pushing", ["push", reference]);
  const digests = step("Reading the digest", ["image", "inspect", "--format", "{{json .RepoDigests}}", reference]);
  let list: unknown;
  try {
    list = JSON.parse(digests);
  } catch {
    list = undefined;
  }
  const pinned = Array.isArray(list) ? list.find((d): d is string => typeof d === "string" && d.startsWith(`${repository}@sha256:`)) : undefined;
  if (!pinned)
    throw new ToolsImageError(`docker image inspect shows no digest for ${repository} after the push (got ${digests.trim().slice(0, 200)})`);
  return pinned;
}
