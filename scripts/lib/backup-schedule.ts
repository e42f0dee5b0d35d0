// The scheduled backups of a stack: a shell loop that runs in a container of the stack's own Postgres
// image (so its pg_dump matches the server), because that image has no cron. It sleeps until the next
// daily UTC time and/or interval, writes `<UTC time>.dump` and `<UTC time>.dump.roles.sql` (the names `npm run restore` expects) to /backups,
// keeps the newest N, copies each to /host-copy when that is mounted, and logs one line per backup.
// Connection settings come from the container's PG* environment (the password in PGPASSWORD).

export interface BackupSchedule {
  /** "HH:MM" in UTC, or undefined. */
  dailyAt?: string;
  /** Hours between backups, or undefined. */
  everyHours?: number;
  /** How many backups to keep. */
  retention: number;
}

/** The schedule's shell script for `sh -c` (POSIX sh and GNU date, as in the Postgres images). */
export function backupScript(s: BackupSchedule): string {
  const daily = s.dailyAt ?? "";
  const every = s.everyHours ?? 0;
  return [
    "set -eu",
    `DAILY=${JSON.stringify(daily)}; EVERY_HOURS=${every}; KEEP=${s.retention}; DIR=\${BACKUP_DIR:-/backups}; HOST_COPY=\${HOST_COPY_DIR:-/host-copy}`,
    'mkdir -p "$DIR"',
    // A backup cut short by a stop or crash leaves a .partial; it is never a backup.
    'rm -f "$DIR"/*.partial',
    // PID 1 in a container: without a trap, docker stop waits out the grace period; the sleep runs in
    // the background so the trap fires at once.
    "trap 'exit 0' TERM INT",
    // Seconds until the next run: the sooner of the next daily time and the next interval.
    "next_wait() {",
    '  now=$(date -u +%s); best=""',
    '  if [ -n "$DAILY" ]; then',
    '    t=$(date -u -d "today $DAILY" +%s); [ "$t" -le "$now" ] && t=$(date -u -d "tomorrow $DAILY" +%s)',
    '    best=$((t - now))',
    "  fi",
    '  if [ "$EVERY_HOURS" -gt 0 ]; then',
    '    i=$((EVERY_HOURS * 3600)); if [ -z "$best" ] || [ "$i" -lt "$best" ]; then best=$i; fi',
    "  fi",
    '  echo "$best"',
    "}",
    "backup() {",
    "  name=$(date -u +%Y-%m-%dT%H%M%SZ); start=$(date -u +%s)",
    // Explicit returns: `set -e` does not apply inside a function called from `backup || …`, and a
    // failed dump must neither be reported as a backup nor count towards retention.
    '  pg_dump --format=custom --file "$DIR/$name.dump.partial" || { rm -f "$DIR/$name.dump.partial"; return 1; }',
    '  pg_dumpall --globals-only --no-role-passwords > "$DIR/$name.dump.roles.sql.partial" || { rm -f "$DIR/$name.dump.partial" "$DIR/$name.dump.roles.sql.partial"; return 1; }',
    '  mv "$DIR/$name.dump.roles.sql.partial" "$DIR/$name.dump.roles.sql" && mv "$DIR/$name.dump.partial" "$DIR/$name.dump" || return 1',
    '  if [ -d "$HOST_COPY" ]; then cp "$DIR/$name.dump" "$DIR/$name.dump.roles.sql" "$HOST_COPY/" || return 1; fi',
    // Keep the newest KEEP dumps (names sort by time) and their roles files.
    '  ls "$DIR" | grep "\\.dump$" | sort -r | tail -n +$((KEEP + 1)) | while read -r old; do rm -f "$DIR/$old" "$DIR/$old.roles.sql"; done',
    '  echo "backup $name.dump $(stat -c %s "$DIR/$name.dump") bytes in $(( $(date -u +%s) - start )) s, keeping $KEEP"',
    "}",
    // For people and tests: one backup now, or the wait until the next one.
    'if [ "${BACKUP_ONCE:-}" = 1 ]; then backup; exit $?; fi',
    'if [ "${BACKUP_PRINT_WAIT:-}" = 1 ]; then next_wait; exit 0; fi',
    'echo "backups: daily at ${DAILY:-never} UTC, every ${EVERY_HOURS} h (0: never), keeping $KEEP"',
    "while true; do",
    '  sleep "$(next_wait)" & wait $!',
    '  backup || echo "backup FAILED (see above); next attempt at the next scheduled time"',
    "done",
  ].join("\n");
}
