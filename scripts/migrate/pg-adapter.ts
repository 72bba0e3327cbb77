// The driver adapter the WebAssembly schema engine talks to PostgreSQL through.
//
// It is @prisma/adapter-pg with four problems of its migration use fixed (each reproduced
// with prisma 7.10.1; see prisma/README.md):
//  - Shadow database: adapter-pg's connectToShadowDb() spreads a `connectionString` config
//    (which wins over `database`, so the "shadow" is the main database), drops the shadow
//    database before closing its pool (DROP fails: database in use, so it leaks) and never
//    closes the connection it created it with. We connect with separate fields, close the
//    shadow pool first, then DROP DATABASE ... WITH (FORCE).
//  - The catalog type `"char"` (OID 18, e.g. pg_class.relkind) has no column type mapping, so
//    the engine's introspection queries fail with UnsupportedNativeDataType. We report it as
//    ColumnTypeEnum.Character.
//  - executeScript() splits the script on ";" and breaks dollar-quoted bodies (plpgsql
//    functions, DO blocks). We send the script as one simple-protocol query, which is what
//    Prisma's native engine does: PostgreSQL runs it in one implicit transaction.
import { randomUUID } from "node:crypto";
import { PrismaPg } from "@prisma/adapter-pg";
import {
  ColumnTypeEnum,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
  type SqlQuery,
  type SqlResultSet,
  type Transaction,
} from "@prisma/driver-adapter-utils";
import pg from "pg";
import { dropDatabase, type PgConnectionFields, poolConfig, quoteIdentifier, withClient } from "./connection.js";

const PG_CHAR_OID = 18;
const PG_TEXT_OID = 25;
export const SHADOW_DATABASE_PREFIX = "prisma_migrate_shadow_db_";

/** The parts of adapter-pg's queryable classes we hook into (not in its public types). */
interface PgQueryableInternals {
  performIO(query: SqlQuery): Promise<pg.QueryArrayResult>;
  queryRaw(query: SqlQuery): Promise<SqlResultSet>;
  onError(error: unknown): never;
}

function internalsOf(queryable: object): PgQueryableInternals {
  const internals = queryable as Partial<PgQueryableInternals>;
  if (
    typeof internals.performIO !== "function" ||
    typeof internals.queryRaw !== "function" ||
    typeof internals.onError !== "function"
  ) {
    throw new Error(
      "@prisma/adapter-pg internals changed (performIO/queryRaw/onError): re-check scripts/migrate/pg-adapter.ts against the installed version",
    );
  }
  return internals as PgQueryableInternals;
}

/** Makes queryRaw accept `"char"` columns (OID 18) and report them as Character. */
function mapCharColumns<T extends object>(queryable: T): T {
  const internals = internalsOf(queryable);
  const performIO = internals.performIO.bind(queryable);
  const queryRaw = internals.queryRaw;
  Object.assign(queryable, {
    async queryRaw(query: SqlQuery): Promise<SqlResultSet> {
      const charColumns: number[] = [];
      // A per-call view of the queryable whose performIO relabels "char" fields as text, so
      // adapter-pg's own mapping accepts them; concurrent calls do not share `charColumns`.
      const view = Object.create(queryable, {
        performIO: {
          value: async (q: SqlQuery) => {
            const result = await performIO(q);
            if (!result.fields.some((field) => field.dataTypeID === PG_CHAR_OID)) return result;
            const fields = result.fields.map((field, index) => {
              if (field.dataTypeID !== PG_CHAR_OID) return field;
              charColumns.push(index);
              return { ...field, dataTypeID: PG_TEXT_OID };
            });
            return { ...result, fields };
          },
        },
      });
      const resultSet: SqlResultSet = await queryRaw.call(view, query);
      for (const index of charColumns) resultSet.columnTypes[index] = ColumnTypeEnum.Character;
      return resultSet;
    },
  });
  return queryable;
}

function fixAdapter(adapter: SqlDriverAdapter, pool: pg.Pool): SqlDriverAdapter {
  const internals = internalsOf(adapter);
  mapCharColumns(adapter);
  const startTransaction = adapter.startTransaction.bind(adapter);
  Object.assign(adapter, {
    async executeScript(script: string): Promise<void> {
      try {
        await pool.query(script);
      } catch (error) {
        internals.onError.call(adapter, error);
      }
    },
    async startTransaction(...args: Parameters<SqlDriverAdapter["startTransaction"]>): Promise<Transaction> {
      return mapCharColumns(await startTransaction(...args));
    },
  });
  return adapter;
}

async function connectPool(fields: PgConnectionFields, database: string): Promise<SqlDriverAdapter> {
  const pool = new pg.Pool(poolConfig(fields, database));
  pool.on("error", () => undefined);
  const factory = new PrismaPg(pool, { schema: fields.schema, disposeExternalPool: true });
  return fixAdapter(await factory.connect(), pool);
}

export class MigrationPgAdapterFactory implements SqlMigrationAwareDriverAdapterFactory {
  readonly provider = "postgres" as const;
  readonly adapterName = "@prisma/adapter-pg";

  constructor(private readonly fields: PgConnectionFields) {}

  connect(): Promise<SqlDriverAdapter> {
    return connectPool(this.fields, this.fields.database);
  }

  async connectToShadowDb(): Promise<SqlDriverAdapter> {
    const shadowDatabase = `${SHADOW_DATABASE_PREFIX}${randomUUID().replace(/-/g, "_")}`;
    await withClient(this.fields, (client) => client.query(`CREATE DATABASE ${quoteIdentifier(shadowDatabase)}`));
    let adapter: SqlDriverAdapter;
    try {
      adapter = await connectPool(this.fields, shadowDatabase);
    } catch (error) {
      await dropDatabase(this.fields, shadowDatabase);
      throw error;
    }
    const fields = this.fields;
    const dispose = adapter.dispose.bind(adapter);
    let disposed = false;
    return Object.assign(adapter, {
      async dispose(): Promise<void> {
        if (disposed) return;
        disposed = true;
        try {
          await dispose(); // closes the shadow pool first ...
        } finally {
          await dropDatabase(fields, shadowDatabase); // ... then drops the database
        }
      },
    });
  }
}
