// The committed stack files and the GitHub workflows: valid, and doing what docs/environments.md says.
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { DEFAULTS } from "../../core/settings/keys.js";
import { KINDE_WORKFLOW_AUDIENCE } from "../../core/settings/kinde.js";
import { parseStackSettings } from "../../core/settings/stack-settings.js";
import { HASURA_AUDIENCE } from "../../kindeSrc/environment/workflows/hasuraSession.js";
import { rsaKeyPair } from "../support/fixtures.js";

const secrets = {
  hasuraAdminSecret: "Staging-Admin-Secret-0123456789-abcdefghij",
  postgresPassword: "Staging-Postgres-Password-0123456789-xyz",
  hasuraDbPassword: "Staging-Hasura-Db-Password-0123456789-xyz",
  devSigningKey: rsaKeyPair().privateKeyPem,
};

function stackFile(stack: string) {
  const config = (parse(readFileSync(`Pulumi.${stack}.yaml`, "utf8")) as { config: Record<string, unknown> }).config;
  const values = Object.fromEntries(Object.entries(config).map(([k, v]) => [k.replace("kinde-hasura:", ""), String(v)]));
  return parseStackSettings((k) => values[k] ?? (secrets as Record<string, string>)[k], { project: "kinde-hasura", stack });
}

describe("committed stack files", () => {
  it("are exactly dev, staging, prod and prod-k8s", () => {
    expect(
      readdirSync(".")
        .filter((f) => /^Pulumi\..+\.yaml$/.test(f))
        .sort(),
    ).toEqual(["Pulumi.dev.yaml", "Pulumi.prod-k8s.yaml", "Pulumi.prod.yaml", "Pulumi.staging.yaml"]);
  });

  it("make prod-k8s a production Kubernetes stack that passes every production refusal", () => {
    expect(stackFile("prod-k8s")).toMatchObject({
      production: true,
      target: "kubernetes",
      kubernetes: {
        namespace: "kinde-hasura-prod-k8s",
        database: { kind: "cnpg", instances: 3 },
        ingress: { host: "api.acme.com", className: "traefik" },
      },
    });
  });

  it("make dev a local-signing stack and staging a Kinde stack that is not production", () => {
    expect(stackFile("dev")).toMatchObject({ production: false, jwt: { trust: { kind: "local" } } });
    expect(stackFile("staging")).toMatchObject({
      production: false,
      smokeOnUp: true,
      jwt: { issuer: "https://acme-staging.kinde.com", trust: { kind: "kinde" } },
    });
  });

  it("make prod a production Kinde stack that passes every production refusal", () => {
    expect(stackFile("prod")).toMatchObject({
      production: true,
      smokeOnUp: false,
      jwt: {
        issuer: "https://acme.kinde.com",
        audience: "hasura",
        claims: "namespace",
        trust: { kind: "kinde", jwksUrl: "https://acme.kinde.com/.well-known/jwks" },
      },
      hasura: { console: false, devMode: false, corsDomains: ["https://app.acme.com"] },
    });
  });
});

describe("the Kinde workflows' audience", () => {
  it("is the audience every committed stack requires", () => {
    expect(HASURA_AUDIENCE).toBe(DEFAULTS.kindeAudience);
    expect(HASURA_AUDIENCE).toBe(KINDE_WORKFLOW_AUDIENCE);
    for (const stack of ["dev", "staging", "prod"]) expect(stackFile(stack).jwt.audience, stack).toBe(HASURA_AUDIENCE);
  });
});

interface Job {
  if?: string;
  needs?: string | string[];
  "runs-on": string | string[];
  environment?: string;
  strategy?: { matrix: Record<string, string[]> };
  steps: Array<{ uses?: string; run?: string; with?: Record<string, unknown>; env?: Record<string, string> }>;
}
interface Workflow {
  on: Record<string, unknown>;
  permissions: Record<string, string>;
  jobs: Record<string, Job>;
}
const workflow = (name: string) => parse(readFileSync(`.github/workflows/${name}`, "utf8")) as Workflow;
const runs = (job: Job) => job.steps.map((s) => s.run).filter(Boolean);

describe("the pull request workflow", () => {
  const wf = workflow("pull-request.yml");

  it("runs on pull requests, including labels and closing, and may comment", () => {
    expect(wf.on).toEqual({ pull_request: { types: ["opened", "synchronize", "reopened", "labeled", "closed"] } });
    expect(wf.permissions["pull-requests"]).toBe("write");
  });

  it("runs the tests the way the project's CI does: .ci/run in a pinned Debian image (it installs Debian packages)", () => {
    const test = wf.jobs.test as Job & { container?: string };
    expect(runs(test)).toEqual(["bash .ci/run"]);
    expect(test.container).toMatch(/^node:24\.\d+\.\d+-bookworm$/);
    expect(readFileSync(".ci/run", "utf8")).toContain("npm ci --no-audit --no-fund\nnpm run test:all\n");
  });

  it("previews each long-lived stack with the policy pack and posts the diff", () => {
    const job = wf.jobs["infra-preview"] as Job;
    expect(job.strategy?.matrix.stack).toEqual(["staging", "prod"]);
    expect(runs(job)).toContain("npm ci");
    const pulumi = job.steps.find((s) => s.uses?.startsWith("pulumi/actions@"));
    expect(pulumi?.uses).toBe("pulumi/actions@v7");
    expect(pulumi?.with).toMatchObject({
      command: "preview",
      "stack-name": "${{ matrix.stack }}",
      diff: true,
      "comment-on-pr": true,
      policyPacks: "infra/policy",
    });
    expect(job.if).toContain("github.event.pull_request.head.repo.full_name == github.repository");
  });

  it("brings up pr-<N> only for a labelled PR and tears it down when the PR closes", () => {
    const up = wf.jobs["preview-env"] as Job;
    expect(up.if).toContain("contains(github.event.pull_request.labels.*.name, 'preview-env')");
    expect(runs(up)).toContain("npm run preview-stack -- up --name pr-${{ github.event.number }}");
    const down = wf.jobs["preview-env-teardown"] as Job;
    expect(down.if).toBe("github.event.action == 'closed' && contains(github.event.pull_request.labels.*.name, 'preview-env')");
    expect(runs(down)).toContain("npm run preview-stack -- down --name pr-${{ github.event.number }}");
  });

  it("prunes stale preview stacks daily", () => {
    const prune = workflow("prune-previews.yml");
    expect(prune.on.schedule).toEqual([{ cron: "17 3 * * *" }]);
    expect(runs(prune.jobs.prune as Job)).toContain("npm run preview-stack -- prune --older-than 3d");
  });

  it("uses only secrets and variables docs/environments.md documents", () => {
    const readme = readFileSync("docs/environments.md", "utf8");
    for (const file of readdirSync(".github/workflows")) {
      const text = readFileSync(`.github/workflows/${file}`, "utf8");
      for (const [, kind, name] of text.matchAll(/\$\{\{\s*(secrets|vars)\.([A-Z_]+)\s*\}\}/g)) {
        expect(readme, `${kind}.${name} in ${file}`).toContain(`\`${name}\``);
      }
    }
  });
});
