// Building the Kubernetes target's tools image: `docker build` of tools.Dockerfile, `docker push`, and
// the pushed image's reference by digest (what a production stack's toolsImage must be).
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { hashDirectory } from "../../../core/content-hash.js";
import { missingPrerequisites, type Runner } from "../cli/shell.js";

export class ToolsImageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ToolsImageError";
  }
}

export const TOOLS_REPOSITORY = "kinde-hasura-tools";
/** What the image holds (tools.Dockerfile): the default tag changes exactly when one of them does. */
const CONTENT = ["core", "scripts", "migrations", "metadata", "seeds"];
const REGISTRY = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d{1,5})?(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/;

export interface ToolsImageOptions {
  run: Runner;
  repoRoot: string;
  /** Where to push, e.g. `registry.example.com/acme` or `ghcr.io/acme`. */
  registry: string;
  tag?: string;
  log: (line: string) => void;
}

/** The default tag: a hash of what the image holds and of the lockfile. */
export function contentTag(repoRoot: string): string {
  const hash = createHash("sha256");
  for (const dir of CONTENT) hash.update(hashDirectory(join(repoRoot, dir))).update("\0");
  for (const file of ["package-lock.json", "package.json", "tools.Dockerfile"]) hash.update(readFileSync(join(repoRoot, file))).update("\0");
  return `c-${hash.digest("hex").slice(0, 12)}`;
}

/** Builds, pushes and returns `<registry>/kinde-hasura-tools@sha256:<digest>`. */
export function buildToolsImage(o: ToolsImageOptions): string {
  if (!REGISTRY.test(o.registry)) {
    throw new ToolsImageError(
      `--registry must be a registry and path such as registry.example.com/acme (lower case, no tag); got ${JSON.stringify(o.registry)}`,
    );
  }
  const tag = o.tag ?? contentTag(o.repoRoot);
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
  step("Building", ["build", "--file", "tools.Dockerfile", "--tag", reference, "."]);
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
