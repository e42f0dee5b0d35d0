// The scheduled backups of a stack: a shell loop that runs in a container of the stack's own Postgres
// image (so its pg_dump matches the server), because that image has no cron. It sleeps until the next
// daily UTC time and/or interval, writes `<UTC time>.dump` and `<UTC time>.dump.roles.sql` (the names
// `npm run restore` expects) to /backups, owner-only, keeps the newest N, copies each to /host-copy
// when that is mounted, and logs one line per backup. Connection settings come from the container's
// PG* environment (the password in PGPASSWORD). Only POSIX sh arithmetic and `date -u +%s`: busybox
// (alpine images) has no `date -d "tomorrow …"`.

export interface BackupSchedule {
  /** "HH:MM" in UTC, or undefined. */
  dailyAt?: string;
  /** Hours between backups, or undefined. */
  everyHours?: number;
  /** How many backups to keep. */
  retention: number;
}

/** Only backups this script wrote count towards retention: a hand-copied foo.dump is left alone. */
const BACKUP_NAME = "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{6}Z\\.dump$";

/** The schedule's shell script for `sh -c` (POSIX sh, as in the Debian and alpine Postgres images). */
export function backupScript(s: BackupSchedule): string {
  // Checked again here, though the settings are validated: these values are spliced into shell code.
  const daily = /^([01]\d|2[0-3]):[0-5]\d$/.exec(s.dailyAt ?? "") ? (s.dailyAt as string) : undefined;
  if (s.dailyAt !== undefined && daily === undefined) throw new Error(`backup dailyAt must be HH:MM (UTC); got ${JSON.stringify(s.dailyAt)}`);
  const every = s.everyHours ?? 0;
  if (!Number.isInteger(every) || every < 0 || !Number.isInteger(s.retention) || s.retention < 1) {
    throw new Error(`backup everyHours must be a whole number >= 0 and retention >= 1; got ${every} and ${s.retention}`);
  }
  const [hh, mm] = daily ? daily.split(":").map(Number) : [-1, 0];
  return [
    "set -eu",
    // Dumps hold every row and Hasura's catalog: readable by the owner only, on the volume and the host copy.
    "umask 077",
    `DAILY_SECONDS=${daily ? (hh as number) * 3600 + (mm as number) * 60 : -1}; EVERY_HOURS=${every}; KEEP=${s.retention}`,
    "DIR=${BACKUP_DIR:-/backups}; HOST_COPY=${HOST_COPY_DIR:-/host-copy}",
    'mkdir -p "$DIR"',
    // A backup cut short by a stop or crash leaves a .partial; it is never a backup.
    'rm -f "$DIR"/*.partial',
    `backups() { ls "$DIR" | grep -E '${BACKUP_NAME}' | sort -r || true; }`,
    // PID 1 in a container: the sleep runs in the background so the trap fires at once, and the trap
    // ends the sleep too (no orphan where the script runs outside a container).
    'SLEEP_PID=""; LAST_ATTEMPT=0',
    'trap \'if [ -n "$SLEEP_PID" ]; then kill "$SLEEP_PID" 2>/dev/null || true; fi; exit 0\' TERM INT',
    // Seconds until the next run: the sooner of the next daily time and the interval since the newest
    // backup on the volume or the last attempt (so a restarted container neither resets nor skips the
    // interval, and a failing database is retried an interval later, not at once).
    "next_wait() {",
    '  now=${BACKUP_NOW:-$(date -u +%s)}; best=""',
    '  if [ "$DAILY_SECONDS" -ge 0 ]; then',
    '    t=$((now - now % 86400 + DAILY_SECONDS)); if [ "$t" -le "$now" ]; then t=$((t + 86400)); fi',
    "    best=$((t - now))",
    "  fi",
    '  if [ "$EVERY_HOURS" -gt 0 ]; then',
    "    newest=$(backups | head -n 1)",
    '    last=$LAST_ATTEMPT; if [ -n "$newest" ]; then m=$(stat -c %Y "$DIR/$newest"); if [ "$m" -gt "$last" ]; then last=$m; fi; fi',
    '    if [ "$last" -gt 0 ]; then i=$((last + EVERY_HOURS * 3600 - now)); else i=0; fi',
    '    if [ "$i" -lt 0 ]; then i=0; fi',
    '    if [ -z "$best" ] || [ "$i" -lt "$best" ]; then best=$i; fi',
    "  fi",
    '  echo "$best"',
    "}",
    "backup() {",
    "  name=$(date -u +%Y-%m-%dT%H%M%SZ); start=$(date -u +%s); LAST_ATTEMPT=$start",
    // Explicit returns: `set -e` does not apply inside a function called from `backup || …`, and a
    // failed dump must neither be reported as a backup nor count towards retention.
    '  pg_dump --format=custom --file "$DIR/$name.dump.partial" || { rm -f "$DIR/$name.dump.partial"; return 1; }',
    '  pg_dumpall --globals-only --no-role-passwords > "$DIR/$name.dump.roles.sql.partial" || { rm -f "$DIR/$name.dump.partial" "$DIR/$name.dump.roles.sql.partial"; return 1; }',
    '  mv "$DIR/$name.dump.roles.sql.partial" "$DIR/$name.dump.roles.sql" && mv "$DIR/$name.dump.partial" "$DIR/$name.dump" || return 1',
    // Keep the newest KEEP backups (names sort by time) and their roles files, whatever the host copy does.
    '  backups | tail -n +$((KEEP + 1)) | while read -r old; do rm -f "$DIR/$old" "$DIR/$old.roles.sql"; done',
    '  echo "backup $name.dump $(stat -c %s "$DIR/$name.dump") bytes in $(( $(date -u +%s) - start )) s, keeping $KEEP"',
    // The host copy appears under its final name only when complete: a shipper never takes half a file.
    '  if [ -d "$HOST_COPY" ]; then',
    '    if cp "$DIR/$name.dump.roles.sql" "$HOST_COPY/$name.dump.roles.sql.partial" && cp "$DIR/$name.dump" "$HOST_COPY/$name.dump.partial" \\',
    '      && mv "$HOST_COPY/$name.dump.roles.sql.partial" "$HOST_COPY/$name.dump.roles.sql" && mv "$HOST_COPY/$name.dump.partial" "$HOST_COPY/$name.dump"; then :',
    '    else rm -f "$HOST_COPY/$name.dump.partial" "$HOST_COPY/$name.dump.roles.sql.partial"; echo "host copy FAILED for ' +
      '$name.dump (see above); the backup itself is on the volume"; fi',
    "  fi",
    "}",
    // For people and tests: one backup now, or the wait until the next one.
    'if [ "${BACKUP_ONCE:-}" = 1 ]; then backup; exit $?; fi',
    'if [ "${BACKUP_PRINT_WAIT:-}" = 1 ]; then next_wait; exit 0; fi',
    `echo "backups: ${daily ? `daily at ${daily} UTC` : "no daily time"}, ${every > 0 ? `every ${every} h` : "no interval"}, keeping $KEEP"`,
    "while true; do",
    // A sleep that fails (it should not) must not turn the loop into back-to-back backups.
    '  sleep "$(next_wait)" & SLEEP_PID=$!; wait "$SLEEP_PID" || sleep 60; SLEEP_PID=""',
    '  backup || echo "backup FAILED (see above); next attempt at the next scheduled time"',
    "done",
  ].join("\n");
}
