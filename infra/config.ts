// Reads the stack's configuration from Pulumi once, before any resource exists, and hands the
// components typed values. Validation itself lives in core/settings/stack-settings.ts so the smoke
// test and token CLI judge a stack exactly as the program does.
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, parseStackSettings, type StackSettings } from "../core/settings/stack-settings.js";

/** The stack's settings, with every configured credential already wrapped as a Pulumi secret. */
export interface StackConfig extends Omit<StackSettings, "secrets"> {
  /** Configured values only; infra/credentials.ts generates what is missing. */
  secrets: {
    hasuraAdminSecret: pulumi.Output<string> | undefined;
    postgresPassword: pulumi.Output<string> | undefined;
    hasuraDbPassword: pulumi.Output<string> | undefined;
    /** Local signing mode only. */
    devSigningKey: pulumi.Output<string> | undefined;
    kindeManagementClientSecret: pulumi.Output<string> | undefined;
    kindeSmokeClientSecret: pulumi.Output<string> | undefined;
    /** Kubernetes target, postgresProvider external. */
    databaseUrl: pulumi.Output<string> | undefined;
  };
}

export function loadStackConfig(): StackConfig {
  const project = pulumi.getProject();
  const stack = pulumi.getStack();
  // runtime.getConfig reads the raw string (no "use getSecret" warning); every secret is wrapped below
  // before it leaves this function.
  let settings: StackSettings;
  try {
    settings = parseStackSettings((key) => pulumi.runtime.getConfig(`${project}:${key}`), { project, stack }, isStoredSecret(project));
  } catch (err) {
    // RunError: Pulumi prints the message alone, without a stack trace that buries it.
    if (err instanceof ConfigError) throw new pulumi.RunError(err.message);
    throw err;
  }
  // Allowed (backups may be taken elsewhere), never silently.
  if (settings.production && settings.target === "docker" && !settings.backup) {
    pulumi.log.warn("This production stack schedules no backups (backupDailyAt: off, backupEveryHours: 0); make sure something else backs it up.");
  }
  if (settings.production && settings.target === "kubernetes") {
    pulumi.log.warn(
      "This production stack runs on Kubernetes, where this program schedules no backups: back up with CloudNativePG's ScheduledBackup or your database provider (docs/kubernetes.md).",
    );
  }
  const { secrets, ...rest } = settings;
  return {
    ...rest,
    secrets: {
      hasuraAdminSecret: optionalSecret(secrets.hasuraAdminSecret),
      postgresPassword: optionalSecret(secrets.postgresPassword),
      hasuraDbPassword: optionalSecret(secrets.hasuraDbPassword),
      devSigningKey: optionalSecret(secrets.devSigningKey),
      kindeManagementClientSecret: optionalSecret(secrets.kindeManagementClientSecret),
      kindeSmokeClientSecret: optionalSecret(secrets.kindeSmokeClientSecret),
      databaseUrl: optionalSecret(secrets.databaseUrl),
    },
  };
}

/**
 * Whether the engine passed a key as secret (PULUMI_CONFIG_SECRET_KEYS), through the SDK's
 * `runtime.isConfigSecret` (@pulumi/pulumi runtime/config.js; marked @internal, so not in its types).
 * Undefined where an SDK lacks it: the check is then skipped, never guessed.
 */
function isStoredSecret(project: string): ((key: string) => boolean) | undefined {
  const check = (pulumi.runtime as unknown as { isConfigSecret?: (key: string) => boolean }).isConfigSecret;
  return typeof check === "function" ? (key) => check(`${project}:${key}`) : undefined;
}

function optionalSecret(value: string | undefined): pulumi.Output<string> | undefined {
  return value === undefined ? undefined : pulumi.secret(value);
}
