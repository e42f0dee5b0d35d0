// Scheduled backups: a daily UTC time and/or an interval (the Postgres image has no cron), how many to
// keep, and an optional host directory each backup is also copied to.
import type { SettingsReader } from "./reader.js";

/** Production backs up daily unless told otherwise; a quiet time in UTC. */
export const PRODUCTION_BACKUP_TIME = "03:00";
export const MAX_BACKUP_RETENTION = 365;
/** A week: a longer interval is a daily time's job. */
export const MAX_BACKUP_EVERY_HOURS = 168;

export interface BackupSettings {
  /** "HH:MM" UTC. */
  dailyAt?: string;
  /** Hours between backups. */
  everyHours?: number;
  /** How many backups the volume keeps. */
  retention: number;
  /** Absolute host directory each backup is also copied to, for an off-host shipper. */
  hostDir?: string;
}

export function readBackup(r: SettingsReader, production: boolean): BackupSettings | undefined {
  const dailyRaw = r.value("backupDailyAt").trim();
  let dailyAt: string | undefined;
  if (dailyRaw === "auto") dailyAt = production ? PRODUCTION_BACKUP_TIME : undefined;
  else if (/^([01]\d|2[0-3]):[0-5]\d$/.test(dailyRaw)) dailyAt = dailyRaw;
  else if (dailyRaw !== "off")
    r.fail("backupDailyAt", `"auto" (${PRODUCTION_BACKUP_TIME} UTC on production, off elsewhere), "off" or a UTC time such as 02:30`, dailyRaw);
  const everyRule = `0 (off) or a whole number of hours from 1 to ${MAX_BACKUP_EVERY_HOURS}`;
  const everyHours = r.wholeNumber("backupEveryHours", r.value("backupEveryHours").trim(), 0, MAX_BACKUP_EVERY_HOURS, everyRule);
  const retentionRule = `how many backups to keep, from 1 to ${MAX_BACKUP_RETENTION}`;
  const retention = r.wholeNumber("backupRetention", r.value("backupRetention").trim(), 1, MAX_BACKUP_RETENTION, retentionRule) ?? 1;
  const hostDirRaw = r.value("backupHostDir").trim();
  const hostDirProblem = backupHostDirProblem(hostDirRaw);
  if (hostDirProblem) r.fail("backupHostDir", hostDirProblem, hostDirRaw);
  const hostDir = hostDirProblem ? "" : normalHostDir(hostDirRaw);
  const scheduled = dailyAt !== undefined || (everyHours ?? 0) > 0;
  if (!scheduled) {
    // Only when the schedule itself is valid: a bad interval is already reported.
    if (hostDirRaw !== "" && everyHours !== undefined && (dailyRaw === "auto" || dailyRaw === "off"))
      r.report(
        `${r.name("backupHostDir")} is set but no backups are scheduled; set ${r.name("backupDailyAt")} or ${r.name("backupEveryHours")} too, or remove backupHostDir`,
      );
    return undefined;
  }
  return { ...(dailyAt ? { dailyAt } : {}), ...(everyHours ? { everyHours } : {}), retention, ...(hostDir ? { hostDir } : {}) };
}

/**
 * The Kubernetes target has no backup container: a CloudNativePG cluster is backed up by the operator
 * (ScheduledBackup to object storage), an external database by its provider. A configured schedule is
 * refused rather than silently ignored.
 */
export function refuseContainerBackups(r: SettingsReader): undefined {
  const daily = r.value("backupDailyAt").trim();
  const every = r.value("backupEveryHours").trim();
  const hostDir = r.value("backupHostDir").trim();
  if ((daily !== "auto" && daily !== "off") || every !== "0" || hostDir !== "") {
    r.report(
      `${r.name("backupDailyAt")}, ${r.name("backupEveryHours")} and ${r.name("backupHostDir")} schedule the Docker target's backup container; ` +
        "on Kubernetes, back up with CloudNativePG's ScheduledBackup or your database provider (docs/kubernetes.md); remove them",
    );
  }
  return undefined;
}

/** Repeated and trailing slashes removed: `//srv//backups/` is `/srv/backups`. */
function normalHostDir(raw: string): string {
  return raw.replace(/\/+/g, "/").replace(/(.)\/$/, "$1");
}

/**
 * System places a root container must not get read-write (the Docker socket is root on the host), and
 * whole trees whose other contents the backups have no business beside.
 */
const FORBIDDEN_HOST_DIRS = [
  "/",
  "/bin",
  "/boot",
  "/dev",
  "/etc",
  "/home",
  "/lib",
  "/lib32",
  "/lib64",
  "/libx32",
  "/opt",
  "/proc",
  "/root",
  "/run",
  "/sbin",
  "/srv",
  "/sys",
  "/tmp",
  "/usr",
  "/var",
  "/var/lib",
  "/var/lib/docker",
  "/var/run",
];
const FORBIDDEN_HOST_TREES = ["/bin", "/boot", "/dev", "/etc", "/lib", "/proc", "/run", "/sbin", "/sys", "/usr", "/var/lib/docker", "/var/run"];

/** Why a backupHostDir cannot be bind-mounted, or undefined when it can ("" is unset). */
function backupHostDirProblem(raw: string): string | undefined {
  if (raw === "") return undefined;
  const rule = "an absolute host directory of its own such as /var/backups/kinde-hasura";
  // `:` and `,` end a bind spec's host part in Docker; control characters have no place in a path.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point.
  if (!raw.startsWith("/") || /[\x00-\x1f\x7f:,]/.test(raw) || raw.split("/").some((part) => part === ".." || part === ".")) {
    return `${rule} (no . or .. segments, no ':' or ',')`;
  }
  const dir = normalHostDir(raw);
  if (FORBIDDEN_HOST_DIRS.includes(dir) || FORBIDDEN_HOST_TREES.some((tree) => dir.startsWith(`${tree}/`))) {
    return `${rule}, not a system directory (${dir} is one)`;
  }
  return undefined;
}
