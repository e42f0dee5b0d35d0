// How a live server's metadata differs from the files, as lines for review:
//   + path = value   (in the files, not on the server: apply would add it)
//   - path = value   (on the server, not in the files: apply would remove it)
//   ~ path: server value -> files value
// Lists of named things (sources, tables, permissions) are matched by name, table or role, not by
// position, so reordering a file is not a change.

export function diffMetadata(live: unknown, files: unknown): string[] {
  const lines: string[] = [];
  walk(normalize(live), normalize(files), "", lines);
  return lines;
}

function keyOf(item: unknown): string | undefined {
  if (!item || typeof item !== "object") return undefined;
  const o = item as Record<string, unknown>;
  if (typeof o.role === "string") return o.role;
  if (typeof o.name === "string") return o.name;
  const t = o.table as { schema?: string; name?: string } | undefined;
  if (t && typeof t.name === "string") return `${t.schema ?? "public"}.${t.name}`;
  return undefined;
}

/** Keyed lists become objects `{"[key]": item}`; object keys are sorted. */
function normalize(value: unknown): unknown {
  if (Array.isArray(value)) {
    const keys = value.map(keyOf);
    if (value.length > 0 && keys.every((k) => k !== undefined) && new Set(keys).size === keys.length) {
      return Object.fromEntries(value.map((v, i) => [`[${keys[i]}]`, normalize(v)]));
    }
    return value.map(normalize);
  }
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, normalize((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

function walk(live: unknown, files: unknown, path: string, lines: string[]): void {
  const isObject = (v: unknown) => v !== null && typeof v === "object" && !Array.isArray(v);
  if (isObject(live) && isObject(files)) {
    const a = live as Record<string, unknown>;
    const b = files as Record<string, unknown>;
    for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
      const here = key.startsWith("[") ? `${path}${key}` : path ? `${path}.${key}` : key;
      if (!(key in b)) lines.push(`- ${here} = ${JSON.stringify(a[key])}`);
      else if (!(key in a)) lines.push(`+ ${here} = ${JSON.stringify(b[key])}`);
      else walk(a[key], b[key], here, lines);
    }
    return;
  }
  if (JSON.stringify(live) !== JSON.stringify(files)) lines.push(`~ ${path}: ${JSON.stringify(live)} -> ${JSON.stringify(files)}`);
}
