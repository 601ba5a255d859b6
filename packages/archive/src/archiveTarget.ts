import type { Sql } from "postgres";

/**
 * A connection string fit for logs and error messages: its password replaced by `***` (also in a
 * `password=` query parameter). Text that is not a URL is kept only up to its first space.
 *
 * @example
 * maskConnectionString("postgres://app:s3cret@db:5432/events"); // "postgres://app:***@db:5432/events"
 */
export function maskConnectionString(connectionString: string): string {
  try {
    const url = new URL(connectionString);
    if (url.password) url.password = "***";
    for (const key of [...url.searchParams.keys()]) {
      if (/^(password|pass)$/i.test(key)) url.searchParams.set(key, "***");
    }
    return url.href;
  } catch {
    return connectionString.replace(/(password|pass)\s*=\s*\S+/gi, "$1=***").split(" ")[0] ?? "";
  }
}

/**
 * Where a postgres.js instance connects, as `postgres://user@host:port/database` (never its
 * password), for error messages about a pool the archive was given.
 *
 * @example
 * targetOfSql(sql); // "postgres://app@db:5432/events"
 */
export function targetOfSql(sql: Sql): string {
  const options = sql.options;
  const user = typeof options?.user === "string" ? `${encodeURIComponent(options.user)}@` : "";
  const hosts = (options?.host ?? []).map(
    (host, index) => `${host}:${options.port?.[index] ?? options.port?.[0] ?? 5432}`,
  );
  return `postgres://${user}${hosts.join(",") || "localhost"}/${options?.database ?? ""}`;
}
