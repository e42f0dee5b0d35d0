import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config.js";
import type { Credentials } from "../credentials.js";

/** The step Jobs' credentials as Secret data: only those the stack has. */
export function stepSecretData(config: StackConfig, credentials: Credentials): pulumi.Output<Record<string, string>> {
  const entries: Array<[string, pulumi.Output<string> | undefined]> = [
    ["adminSecret", credentials.hasuraAdminSecret],
    ["devSigningKey", credentials.devSigningKey],
    ["kindeManagementClientSecret", config.secrets.kindeManagementClientSecret],
    ["kindeSmokeClientSecret", config.secrets.kindeSmokeClientSecret],
  ];
  const present = entries.filter((e): e is [string, pulumi.Output<string>] => e[1] !== undefined);
  return pulumi.secret(
    pulumi.all(present.map(([, v]) => v)).apply((values) => Object.fromEntries(present.map(([key], i) => [key, values[i] as string]))),
  );
}
