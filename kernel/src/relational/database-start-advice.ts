/**
 * A start that fails on a configured database says, in one line, which variable names it and
 * what to do: Prisma's own message is a code frame of the call that met the problem
 * ("Invalid `prisma.shippingMethod.findFirst()` invocation in .../demo-shipping-methods.ts")
 * ending in "The table `public.ShippingMethod` does not exist", which named neither
 * DATABASE_URL nor the migration command a newcomer who skipped it needs.
 *
 * The problem is read from the driver adapter's classification (`meta.driverAdapterError.cause
 * .kind`, the same for PostgreSQL and MariaDB) or, for a raw `pg` error, its SQLSTATE; the URL
 * is never quoted whole (it may hold a password), only its host, port and database.
 */

/** The configured database URLs a start may have failed on, by their variable. */
export interface ConfiguredDatabases {
  DATABASE_URL?: string;
  MYSQL_URL?: string;
}

type Variable = keyof ConfiguredDatabases;

const MIGRATE: Record<Variable, string> = {
  DATABASE_URL: "npm run db:migrate:deploy",
  MYSQL_URL: "npx tsx prisma/accounts/migrator/cli.ts deploy",
};

interface Problem {
  kind: "TableDoesNotExist" | "ColumnNotFound" | "DatabaseNotReachable" | "AuthenticationFailed" | "DatabaseDoesNotExist";
  table?: string;
  host?: string;
  port?: number;
  user?: string;
  db?: string;
}

const PG_CODES: Record<string, Problem["kind"]> = {
  "42P01": "TableDoesNotExist",
  "42703": "ColumnNotFound",
  "28P01": "AuthenticationFailed",
  "28000": "AuthenticationFailed",
  "3D000": "DatabaseDoesNotExist",
  ECONNREFUSED: "DatabaseNotReachable",
};

const KINDS: Record<Problem["kind"], true> = { TableDoesNotExist: true, ColumnNotFound: true, DatabaseNotReachable: true, AuthenticationFailed: true, DatabaseDoesNotExist: true };

function problemOf(error: unknown): Problem | undefined {
  for (let cause: unknown = error, depth = 0; cause && depth < 5; cause = (cause as { cause?: unknown }).cause, depth++) {
    const adapter = (cause as { meta?: { driverAdapterError?: { cause?: Partial<Problem> & { kind?: string } } } }).meta?.driverAdapterError?.cause;
    if (adapter?.kind && adapter.kind in KINDS) return adapter as Problem;
    const code = (cause as { code?: unknown }).code;
    if (typeof code === "string" && PG_CODES[code]) {
      const { address, port } = cause as { address?: string; port?: number };
      return { kind: PG_CODES[code]!, host: address, port };
    }
  }
  return undefined;
}

function where(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.host}${parsed.pathname === "/" ? "" : parsed.pathname}`;
  } catch {
    return "its server";
  }
}

/** The variable whose database failed: the one at the host and port named, else the only one set. */
function variableOf(problem: Problem, databases: ConfiguredDatabases): Variable[] {
  const set = (Object.keys(MIGRATE) as Variable[]).filter((name) => databases[name]);
  if (problem.host && problem.port) {
    const at = set.filter((name) => {
      try {
        const url = new URL(databases[name]!);
        return url.hostname === problem.host && Number(url.port || (name === "MYSQL_URL" ? 3306 : 5432)) === problem.port;
      } catch {
        return false;
      }
    });
    if (at.length === 1) return at;
  }
  return set;
}

/**
 * One line saying what is wrong with a configured database and what to do, or undefined when
 * the failure is not one of those (or no database URL is set: the embedded PostgreSQL is
 * migrated by the start itself).
 */
export function databaseStartAdvice(error: unknown, databases: ConfiguredDatabases): string | undefined {
  const problem = problemOf(error);
  if (!problem) return undefined;
  const variables = variableOf(problem, databases);
  if (variables.length === 0) return undefined;
  const named = variables.join(" or ");
  const at = variables.length === 1 ? ` (${where(databases[variables[0]!]!)})` : "";
  const migrate = variables.map((name) => `\`${MIGRATE[name]}\`${variables.length > 1 ? ` for ${name}` : ""}`).join(", or ");
  switch (problem.kind) {
    case "TableDoesNotExist":
    case "ColumnNotFound":
      return `the database of ${named}${at} lacks ${problem.table ? `the table ${problem.table}` : "a table or column this version needs"}: its migrations are not applied. Run ${migrate} with the same ${named}, then start again.`;
    case "DatabaseNotReachable":
      return `nothing answers at ${problem.host && problem.port ? `${problem.host}:${problem.port}` : "the server"}, the database of ${named}: start it (\`scripts/services.sh status\` lists the engines of "Running the real stack") or correct ${named}; unset, the start runs on an embedded PostgreSQL.`;
    case "AuthenticationFailed":
      return `the database of ${named}${at} refused ${problem.user ? `the user ${problem.user}` : "the user"} and password: correct them in ${named}.`;
    case "DatabaseDoesNotExist":
      return `the server of ${named} has no database ${problem.db ?? ""}`.trimEnd() + `: create it (CREATE DATABASE) or correct ${named}, then run ${migrate}.`;
  }
}
