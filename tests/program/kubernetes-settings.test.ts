// The Kubernetes target's settings, its tools image CLI (with a recording stand-in for the Docker CLI:
// it proves the command lines, not Docker), the Job naming, and the metadata step's pool override.
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { inProject, PROJECT_ROOT } from "../../core/project-root.js";
import { externalUrlProblem, peakHasuraConnections } from "../../core/settings/kubernetes.js";
import { ConfigError, parseStackSettings } from "../../core/settings/stack-settings.js";
import { STEPS } from "../../core/steps.js";
import { toolsContent } from "../../core/tools-content.js";
import { stepJobName, toolsContentGuard } from "../../infra/kubernetes/step-job.js";
import { loadMetadata, withDefaultSourcePool } from "../../scripts/lib/hasura/metadata.js";
import { buildToolsImage, ToolsImageError } from "../../scripts/lib/kubernetes/tools-image.js";
import { previewKubernetesConfig, prodKubernetesConfig, TEST_DIGEST } from "../support/fixtures.js";
import { recordingRunner } from "../support/recording-runner.js";

const DIGEST = TEST_DIGEST;
const base = previewKubernetesConfig();
const prod = prodKubernetesConfig();

function problems(config: Record<string, string>, stack = "k"): string[] {
  try {
    parseStackSettings((k) => config[k], { project: "kinde-hasura", stack });
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
}
const settings = (config: Record<string, string>, stack = "k") => parseStackSettings((k) => config[k], { project: "kinde-hasura", stack });

describe("Kubernetes settings", () => {
  it("leave every Docker stack as it was: target docker, no kubernetes block", () => {
    const s = settings({});
    expect(s.target).toBe("docker");
    expect(s.kubernetes).toBeUndefined();
  });

  it("default to a namespace per stack, CloudNativePG, and production's replicas and instances", () => {
    const p = settings(prod, "prod-k8s").kubernetes!;
    expect(p.namespace).toBe("kinde-hasura-prod-k8s");
    expect(p.database).toMatchObject({ kind: "cnpg", instances: 3, installOperator: true, maxConnections: 200 });
    expect(p.hasura).toEqual({ minReplicas: 2, maxReplicas: 6, poolSize: 15 });
    expect(p.ingress).toEqual({ host: "api.acme.com", tlsSecret: "kinde-hasura-prod-k8s-tls" });
    const preview = settings(base, "pr-7").kubernetes!;
    expect(preview.database).toMatchObject({ kind: "cnpg", instances: 1 });
    expect(preview.hasura).toEqual({ minReplicas: 1, maxReplicas: 2, poolSize: 15 });
    expect(preview.ingress).toBeUndefined();
  });

  it("refuse what production must not be: tags instead of digests, one replica, one instance, no tools image", () => {
    expect(problems({ ...prod, hasuraImage: "hasura/graphql-engine:v2.48.16" })).toEqual([
      'kinde-hasura:hasuraImage must be pinned by digest (hasura/graphql-engine:v2.x.y@sha256:<digest>) on a production Kubernetes stack; got "hasura/graphql-engine:v2.48.16"',
    ]);
    expect(problems({ ...prod, toolsImage: "registry.acme.com/kinde-hasura-tools:1.0.0" })).toEqual([
      'kinde-hasura:toolsImage must be pinned by digest (…@sha256:<digest>) on a production stack; got "registry.acme.com/kinde-hasura-tools:1.0.0"',
    ]);
    expect(problems({ ...prod, hasuraMinReplicas: "1" }).join("\n")).toMatch(/hasuraMinReplicas must be at least 2 on a production stack/);
    expect(problems({ ...prod, cnpgInstances: "1" }).join("\n")).toMatch(/cnpgInstances must be at least 2 on a production stack/);
    expect(problems({ target: "kubernetes" }).join("\n")).toMatch(/toolsImage is required on the Kubernetes target/);
  });

  it("keep Hasura's peak connections inside the database's, and say how to fix it", () => {
    // Production's defaults: (6 + 2) × (15 + 5) = 160 of 200 − 10.
    expect(peakHasuraConnections({ minReplicas: 2, maxReplicas: 6, poolSize: 15 })).toBe(160);
    expect(problems(prod)).toEqual([]);
    // (8 + 2) × (15 + 5) = 200 > 190.
    const over = problems({ ...prod, hasuraMaxReplicas: "8" });
    expect(over).toHaveLength(1);
    expect(over[0]).toMatch(
      /^Hasura may open 200 database connections \(\(hasuraMaxReplicas 8 \+ 2 in a rollout, starting and stopping\) × \(hasuraPoolSize 15 \+ 5 for metadata\)\), more than postgresMaxConnections 200 less 10/,
    );
    expect(problems({ ...prod, hasuraMaxReplicas: "8", postgresMaxConnections: "210" })).toEqual([]);
  });

  it("refuse transaction poolers where they can be told, naming why, and never show the URL", () => {
    expect(externalUrlProblem("postgres://app:pw@db.example.com:5432/app")).toBeUndefined();
    expect(externalUrlProblem("postgres://app:pw@aws-0-eu.pooler.supabase.com:6543/postgres")).toMatch(/Supabase's transaction-mode pooler/);
    expect(externalUrlProblem("postgresql://app:pw@ep-cool-1-pooler.us-east-2.aws.neon.tech/app")).toMatch(/Neon's -pooler/);
    expect(externalUrlProblem("postgres://app:pw@db:6432/app")).toBeUndefined();
    expect(externalUrlProblem("mysql://app:pw@db/app")).toMatch(/postgres:\/\//);
    const secret = "s3cret-pw-1";
    const external = { ...base, postgresProvider: "external", databaseUrl: `postgres://app:${secret}@x.pooler.supabase.com:6543/app` };
    const listed = problems(external).join("\n");
    expect(listed).toMatch(/databaseUrl names port 6543/);
    expect(listed).not.toContain(secret);
    expect(problems({ ...base, postgresProvider: "external" }).join("\n")).toMatch(/databaseUrl is required with postgresProvider "external"/);
  });

  it("refuse settings the other target would silently ignore, and namespaces the cluster owns", () => {
    expect(problems({ ...base, hasuraConsole: "true" })).toEqual([
      'kinde-hasura:hasuraConsole must be false on the Kubernetes target (tables come from migrations; the console is not served); got "true"',
    ]);
    expect(problems({ databaseUrl: "postgres://u:p@h:5432/d" }).join("\n")).toMatch(/databaseUrl is for the Kubernetes target/);
    for (const ns of ["default", "kube-system", "cnpg-system", "kube-anything"]) {
      expect(problems({ ...base, kubeNamespace: ns }).join("\n"), ns).toMatch(/kubeNamespace must be a namespace of the stack's own/);
    }
    expect(problems({ ...base, kubeNamespace: "Bad_Name" }).join("\n")).toMatch(/kubeNamespace must be a Kubernetes namespace name/);
    // A stack name Kubernetes would refuse as it is becomes a valid namespace by default.
    expect(settings(base, "Team_A.pr-7").kubernetes!.namespace).toBe("kinde-hasura-team-a-pr-7");
    expect(problems({ ...prod, publicHost: "" }).join("\n")).toMatch(
      /publicHost is required on a production stack \(production: true\): the Ingress serves Hasura there/,
    );
  });

  it("refuse the Docker target's backup container settings instead of ignoring them", () => {
    expect(problems({ ...base, backupDailyAt: "02:00" }).join("\n")).toMatch(/on Kubernetes, back up with CloudNativePG's ScheduledBackup/);
    expect(problems({ ...base, backupDailyAt: "off" })).toEqual([]);
  });
});

describe("Kubernetes step Jobs", () => {
  it("change name exactly when the run's inputs change", () => {
    const name = stepJobName("metadata", STEPS.metadata, `tools@${DIGEST}`, ["v2.48.16"]);
    expect(name).toMatch(/^metadata-[0-9a-f]{10}$/);
    expect(stepJobName("metadata", STEPS.metadata, `tools@${DIGEST}`, ["v2.48.16"])).toBe(name);
    expect(stepJobName("metadata", STEPS.metadata, `tools@sha256:${"cd".repeat(32)}`, ["v2.48.16"])).not.toBe(name);
    expect(stepJobName("metadata", STEPS.metadata, `tools@${DIGEST}`, ["v2.48.17"])).not.toBe(name);
    expect(stepJobName("metadata", STEPS.migrations, `tools@${DIGEST}`, ["v2.48.16"])).not.toBe(name);
  });
});

describe("the Jobs' tools image check (a real sh)", () => {
  const guard = async (held: string | undefined, expected: string) => {
    const dir = mkdtempSync(join(tmpdir(), "tools-content-"));
    const file = join(dir, "tools-content");
    if (held !== undefined) writeFileSync(file, `${held}\n`);
    return promisify(execFile)("sh", ["-c", toolsContentGuard(file), "step", "echo", "ran the step"], {
      env: { PATH: process.env.PATH, TOOLS_CONTENT: expected },
    }).then(
      (r) => ({ code: 0, out: r.stdout + r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
    );
  };

  it("runs the step from an image that holds this checkout, and refuses any other, naming both", async () => {
    expect(await guard("c-0123456789ab", "c-0123456789ab")).toEqual({ code: 0, out: "ran the step\n" });
    const stale = await guard("c-aaaaaaaaaaaa", "c-0123456789ab");
    expect(stale.code).toBe(1);
    expect(stale.out).toBe(
      "The tools image holds c-aaaaaaaaaaaa, this deploy's checkout c-0123456789ab: rebuild it (npm run tools-image) and set toolsImage\n",
    );
    expect((await guard(undefined, "c-0123456789ab")).out).toMatch(/^The tools image holds nothing known,/);
  });
});

describe("the metadata step's pool override", () => {
  it("caps only the default source's pool, leaving the files' other settings", () => {
    const metadata = loadMetadata(inProject("metadata"));
    const capped = withDefaultSourcePool(metadata, 20);
    const info = (capped.sources[0]!.configuration as { connection_info: Record<string, unknown> }).connection_info;
    expect(info.pool_settings).toEqual({ max_connections: 20 });
    expect(info.database_url).toEqual({ from_env: "PG_DATABASE_URL" });
    expect((metadata.sources[0]!.configuration as { connection_info: Record<string, unknown> }).connection_info.pool_settings).toBeUndefined();
  });
});

describe("npm run tools-image (recorded Docker CLI)", () => {
  const digest = `registry.acme.com/team/kinde-hasura-tools@${DIGEST}`;

  it("builds, pushes and prints the image by digest, tagged by content by default", () => {
    const { run, calls } = recordingRunner({ "docker image inspect": { stdout: JSON.stringify([digest]) } });
    expect(buildToolsImage({ run, repoRoot: PROJECT_ROOT, registry: "registry.acme.com/team", log: () => {} })).toBe(digest);
    const tag = toolsContent(PROJECT_ROOT);
    expect(tag).toMatch(/^c-[0-9a-f]{12}$/);
    expect(calls.filter((c) => c.args[0] !== "version").map((c) => [c.command, ...c.args].join(" "))).toEqual([
      `docker build --platform linux/amd64 --file tools.Dockerfile --build-arg TOOLS_CONTENT=${tag} --tag registry.acme.com/team/kinde-hasura-tools:${tag} .`,
      `docker push registry.acme.com/team/kinde-hasura-tools:${tag}`,
      `docker image inspect --format {{json .RepoDigests}} registry.acme.com/team/kinde-hasura-tools:${tag}`,
    ]);
  });

  it("refuses a bad registry or tag before running anything, and names the failed step", () => {
    for (const registry of ["Registry.Acme.com", "registry.acme.com/team:1.0", "reg istry", ""]) {
      const { run, calls } = recordingRunner({});
      expect(() => buildToolsImage({ run, repoRoot: PROJECT_ROOT, registry, log: () => {} }), registry).toThrow(ToolsImageError);
      expect(calls).toEqual([]);
    }
    const badPlatform = recordingRunner({});
    expect(() =>
      buildToolsImage({
        run: badPlatform.run,
        repoRoot: PROJECT_ROOT,
        registry: "registry.acme.com/team",
        platform: "amd64; rm -rf /",
        log: () => {},
      }),
    ).toThrow(/--platform must be a platform such as linux\/amd64/);
    expect(badPlatform.calls).toEqual([]);
    const { run } = recordingRunner({ "docker push": { code: 1, stderr: "denied: requested access to the resource is denied" } });
    expect(() => buildToolsImage({ run, repoRoot: PROJECT_ROOT, registry: "registry.acme.com/team", tag: "t1", log: () => {} })).toThrow(
      /^Pushing failed \(docker push\):\ndenied: requested access/,
    );
  });
});
