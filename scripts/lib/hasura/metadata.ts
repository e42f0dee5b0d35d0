// Hasura metadata as files (CLI config v3 layout) and as the API's `replace_metadata` body.
// The CLI's `!include <file>` strings are resolved here, relative to the including file, the way
// `hasura metadata apply` does, so the body we send is exactly what the CLI would send.
import { existsSync, readFileSync, realpathSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { parse } from "yaml";
import { ExpectedFailure } from "../../../core/expected-failure.js";

export class MetadataError extends ExpectedFailure {}

/** A boolean expression as Hasura metadata writes it (`{id: {_eq: X-Hasura-User-Id}}`). */
export type BoolExp = Record<string, unknown>;

export interface TableMetadata {
  table: { name: string; schema: string };
  select_permissions?: Array<{ role: string; permission: { columns: string[] | "*"; filter: BoolExp; [k: string]: unknown } }>;
  insert_permissions?: Array<{
    role: string;
    permission: { columns: string[] | "*"; check: BoolExp; set?: Record<string, unknown>; [k: string]: unknown };
  }>;
  update_permissions?: Array<{
    role: string;
    permission: { columns: string[] | "*"; filter: BoolExp; check?: BoolExp | null; set?: Record<string, unknown>; [k: string]: unknown };
  }>;
  delete_permissions?: Array<{ role: string; permission: { filter: BoolExp; [k: string]: unknown } }>;
  [key: string]: unknown;
}

export interface SourceMetadata {
  name: string;
  kind: string;
  configuration: unknown;
  tables: TableMetadata[];
  [key: string]: unknown;
}

export interface Metadata {
  version: 3;
  sources: SourceMetadata[];
}

const INCLUDE = /^!include\s+(.+)$/;

/** Reads `<dir>/version.yaml` and `<dir>/databases/databases.yaml`, resolving every `!include`. */
export function loadMetadata(dir: string): Metadata {
  const versionFile = join(dir, "version.yaml");
  const version = readYaml(versionFile, dir) as { version?: unknown };
  if (version?.version !== 3) {
    throw new MetadataError(`${relative(".", versionFile)} must say version: 3 (Hasura CLI config v3); got ${JSON.stringify(version?.version)}`);
  }
  const databasesFile = join(dir, "databases", "databases.yaml");
  const sources = resolveIncludes(readYaml(databasesFile, dir), databasesFile, dir, [databasesFile]);
  if (!Array.isArray(sources)) throw new MetadataError(`${relative(".", databasesFile)} must be a list of sources`);
  for (const source of sources as SourceMetadata[]) {
    if (!Array.isArray(source.tables)) throw new MetadataError(`source ${source.name} in ${relative(".", databasesFile)} has no list of tables`);
  }
  return { version: 3, sources: sources as SourceMetadata[] };
}

function readYaml(file: string, root: string): unknown {
  if (!existsSync(file)) throw new MetadataError(`${relative(".", file)} is missing from ${relative(".", root) || "."}`);
  try {
    return parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new MetadataError(`${relative(".", file)} is not valid YAML: ${(err as Error).message}`);
  }
}

function resolveIncludes(value: unknown, file: string, root: string, chain: string[]): unknown {
  if (typeof value === "string") {
    const match = INCLUDE.exec(value);
    if (!match) return value;
    const target = join(dirname(file), (match[1] as string).trim());
    if (!existsSync(target)) {
      throw new MetadataError(`${relative(".", file)} includes ${match[1]}, which does not exist (${relative(".", target)})`);
    }
    // Symlinks followed: an include may never read a file outside the metadata directory
    // (`!include ../../../../proc/self/environ` would print the environment, secrets and all).
    const realRoot = realpathSync(root);
    if (!realpathSync(target).startsWith(`${realRoot}${sep}`)) {
      throw new MetadataError(
        `${relative(".", file)} includes ${match[1]}, which is outside ${relative(".", root) || "."}; includes must stay inside the metadata directory`,
      );
    }
    if (chain.includes(target))
      throw new MetadataError(
        `${relative(".", file)} includes ${match[1]} in a cycle: ${[...chain, target].map((f) => relative(".", f)).join(" -> ")}`,
      );
    return resolveIncludes(readYaml(target, root), target, root, [...chain, target]);
  }
  if (Array.isArray(value)) return value.map((v) => resolveIncludes(v, file, root, chain));
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveIncludes(v, file, root, chain)]));
  }
  return value;
}

/** The body of `POST /v1/metadata` that replaces the server's metadata with the files', all or nothing. */
export function replaceMetadataBody(metadata: Metadata): Record<string, unknown> {
  return {
    type: "replace_metadata",
    version: 2,
    // false: an inconsistent result is refused by the server (HTTP 400) and nothing changes.
    args: { allow_inconsistent_metadata: false, metadata },
  };
}

/**
 * The metadata with the `default` source's pool capped at `maxConnections` (pool_settings.max_connections;
 * Hasura's default is 50 per source and replica). The Kubernetes target sets it so every replica fits the
 * database's connection budget; the files stay as they are.
 */
export function withDefaultSourcePool(metadata: Metadata, maxConnections: number): Metadata {
  return {
    ...metadata,
    sources: metadata.sources.map((source) => {
      if (source.name !== "default") return source;
      const configuration = (source.configuration ?? {}) as { connection_info?: Record<string, unknown> };
      const connectionInfo = configuration.connection_info ?? {};
      const poolSettings = (connectionInfo.pool_settings ?? {}) as Record<string, unknown>;
      return {
        ...source,
        configuration: {
          ...configuration,
          connection_info: { ...connectionInfo, pool_settings: { ...poolSettings, max_connections: maxConnections } },
        },
      };
    }),
  };
}

/** Every `<schema>.<table>` with its metadata, across sources. */
export function tablesOf(metadata: Metadata): Array<{ source: string; table: TableMetadata }> {
  return metadata.sources.flatMap((s) => s.tables.map((table) => ({ source: s.name, table })));
}
