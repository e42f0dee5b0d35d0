// Scheduled backups (issue 14 item 2): the settings that choose them and the container the program
// deploys for them, under Pulumi's mocks. The script itself runs against real pg_dump in
// tests/end-to-end/backup-drill.test.ts.
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it, vi } from "vitest";
import { ConfigError, parseStackSettings } from "../../core/settings/stack-settings.js";
import { devConfig, prodKindeConfig, rsaKeyPair, SECRET_KEYS } from "../support/fixtures.js";
import { containerEnv, isSecretValue, runProgram } from "../support/pulumi-program.js";

const CONTAINER = "docker:index/container:Container";
const parse = (stack: string, c: Record<string, string>) => () => parseStackSettings((k) => c[k], { project: "kinde-hasura", stack });

describe("backup settings", () => {
  it("back up production daily at 03:00 UTC, keeping 7, and nothing elsewhere unless asked", () => {
    expect(parse("prod", prodKindeConfig())().backup).toEqual({ dailyAt: "03:00", retention: 7 });
    expect(parse("dev", {})().backup).toBeUndefined();
    expect(parse("prod", { ...prodKindeConfig(), backupDailyAt: "off" })().backup).toBeUndefined();
    expect(parse("dev", { backupEveryHours: "6", backupRetention: "12", backupHostDir: "/var/backups/kh/" })().backup).toEqual({
      everyHours: 6,
      retention: 12,
      hostDir: "/var/backups/kh",
    });
    expect(parse("prod", { ...prodKindeConfig(), backupDailyAt: "23:59", backupEveryHours: "4" })().backup).toEqual({
      dailyAt: "23:59",
      everyHours: 4,
      retention: 7,
    });
  });

  it.each([
    ["backupDailyAt", "24:00", 'must be "auto" (03:00 UTC on production, off elsewhere), "off" or a UTC time such as 02:30; got "24:00"'],
    ["backupDailyAt", "3am", 'got "3am"'],
    ["backupEveryHours", "-1", 'must be 0 (off) or a whole number of hours from 1 to 168; got "-1"'],
    ["backupEveryHours", "169", 'got "169"'],
    ["backupEveryHours", "1.5", 'got "1.5"'],
    ["backupRetention", "0", 'must be how many backups to keep, from 1 to 365; got "0"'],
    ["backupRetention", "seven", 'got "seven"'],
    [
      "backupHostDir",
      "backups",
      `must be an absolute host directory of its own such as /var/backups/kinde-hasura (no . or .. segments, no ':' or ','); got "backups"`,
    ],
    ["backupHostDir", "/var/backups/../../etc", 'got "/var/backups/../../etc"'],
    ["backupHostDir", "/var/backups\nx", 'got "/var/backups\\nx"'],
    ["backupHostDir", "/srv/backups:/etc", "no ':' or ','"],
    ["backupHostDir", "/srv/backups,ro", "no ':' or ','"],
    ["backupHostDir", "/", 'not a system directory (/ is one); got "/"'],
    ["backupHostDir", "//", 'not a system directory (/ is one); got "//"'],
    ["backupHostDir", "/etc/", "not a system directory (/etc is one)"],
    ["backupHostDir", "/var/run/docker.sock", "not a system directory (/var/run/docker.sock is one)"],
    ["backupHostDir", "/var/lib/docker/volumes", "not a system directory"],
    ["backupHostDir", "/usr/local/backups", "not a system directory"],
  ])("refuses %s = %j, naming the key and the rule", (key, value, message) => {
    const run = parse("prod", { ...prodKindeConfig(), [key]: value });
    expect(run).toThrow(ConfigError);
    expect(run).toThrow(`kinde-hasura:${key} `);
    expect(run).toThrow(message);
  });

  it("normalises a host directory's repeated and trailing slashes", () => {
    expect(parse("dev", { backupEveryHours: "1", backupHostDir: "//var//backups/kh//" })().backup?.hostDir).toBe("/var/backups/kh");
  });

  it("reports a bad interval once, without also blaming the host directory", () => {
    let message = "";
    try {
      parse("dev", { backupEveryHours: "abc", backupHostDir: "/var/backups/kh" })();
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain("kinde-hasura:backupEveryHours must be 0 (off)");
    expect(message).not.toContain("backupHostDir");
  });

  it("refuses a host directory when nothing is scheduled", () => {
    expect(parse("dev", { backupHostDir: "/var/backups/kh" })).toThrow(
      "kinde-hasura:backupHostDir is set but no backups are scheduled; set kinde-hasura:backupDailyAt or kinde-hasura:backupEveryHours too, or remove backupHostDir",
    );
  });
});

describe("the backup container", () => {
  it("on production: the stack's own Postgres image, the schedule's script, a protected volume, nothing published", async () => {
    const run = await runProgram("prod", prodKindeConfig(), SECRET_KEYS);
    const backup = run.get(CONTAINER, "backup");
    const postgres = run.get(CONTAINER, "postgres");
    expect(backup.inputs.image).toBe(postgres.inputs.image);
    expect(backup.inputs.image).not.toBe(run.get(CONTAINER, "hasura").inputs.image);
    expect(backup.inputs.name).toBe("kinde-hasura-prod-backup");
    const command = backup.inputs.command as string[];
    expect(command.slice(0, 2)).toEqual(["sh", "-c"]);
    expect(command[2]).toContain("DAILY_SECONDS=10800; EVERY_HOURS=0; KEEP=7");
    expect(backup.inputs.ports ?? []).toEqual([]);
    expect(backup.inputs.volumes).toEqual([{ volumeName: "kinde-hasura-prod-backups", containerPath: "/backups" }]);
    expect(run.get("docker:index/volume:Volume", "backup-data")).toMatchObject({ protect: true, retainOnDelete: true });
    // The superuser's password reaches it only inside the secret env list.
    expect(isSecretValue(backup.inputs.envs)).toBe(true);
    expect(containerEnv(backup)).toMatchObject({
      PGHOST: "kinde-hasura-prod-postgres",
      PGPORT: "5432",
      PGUSER: "postgres",
      PGDATABASE: "app",
      PGPASSWORD: prodKindeConfig().postgresPassword,
    });
    expect(run.outputs.backupVolume).toBe("kinde-hasura-prod-backups");
  });

  it("on production with backups switched off: none, and a warning that says so", async () => {
    const warn = vi.spyOn(pulumi.log, "warn").mockImplementation(() => Promise.resolve());
    try {
      const run = await runProgram("prod", { ...prodKindeConfig(), backupDailyAt: "off" }, SECRET_KEYS);
      expect(run.resources.filter((r) => r.name.startsWith("backup"))).toEqual([]);
      expect(warn.mock.calls.map((c) => c[0])).toContain(
        "This production stack schedules no backups (backupDailyAt: off, backupEveryHours: 0); make sure something else backs it up.",
      );
      warn.mockClear();
      await runProgram("prod", prodKindeConfig(), SECRET_KEYS);
      expect(warn.mock.calls.map((c) => c[0]).filter((m) => String(m).includes("backups"))).toEqual([]);
    } finally {
      warn.mockRestore();
    }
  });

  it("on dev: none by default; with an interval and a host directory, the copy is bind-mounted and the volume unprotected", async () => {
    const { privateKeyPem } = rsaKeyPair();
    const plain = await runProgram("dev", devConfig(privateKeyPem), SECRET_KEYS);
    expect(plain.resources.filter((r) => r.name.startsWith("backup"))).toEqual([]);
    expect(plain.outputs.backupVolume).toBeUndefined();

    const scheduled = await runProgram("dev", { ...devConfig(privateKeyPem), backupEveryHours: "6", backupHostDir: "/var/backups/kh" }, SECRET_KEYS);
    const backup = scheduled.get(CONTAINER, "backup");
    expect((backup.inputs.command as string[])[2]).toContain("DAILY_SECONDS=-1; EVERY_HOURS=6; KEEP=7");
    expect(backup.inputs.volumes).toEqual([
      { volumeName: "kinde-hasura-dev-backups", containerPath: "/backups" },
      { hostPath: "/var/backups/kh", containerPath: "/host-copy" },
    ]);
    expect(scheduled.get("docker:index/volume:Volume", "backup-data").protect).toBe(false);
  });
});
