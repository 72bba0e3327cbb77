import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { withMysqlConnection } from "./connection.js";
import { MIGRATIONS_TABLE } from "./mysql-migrator.js";

/**
 * Compares a live MySQL database with what prisma/accounts/schema.prisma expects: every
 * model's table, each column with its type and nullability, primary keys, unique and plain
 * indexes, foreign keys, and nothing extra. Hand-written migrations can drift from the
 * schema; this check is what catches it (in CI, after applying the migrations).
 */
export const ACCOUNTS_SCHEMA_PATH = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "schema.prisma");

interface DmmfField {
  name: string;
  dbName?: string | null;
  kind: "scalar" | "enum" | "object" | "unsupported";
  type: string;
  isRequired: boolean;
  isList: boolean;
  nativeType?: [string, string[]] | null;
  relationFromFields?: string[];
  relationToFields?: string[];
  /** The field's `///` comment. */
  documentation?: string;
}

interface DmmfModel {
  name: string;
  dbName: string | null;
  fields: DmmfField[];
  primaryKey: { fields: string[] } | null;
}

interface DmmfIndex {
  model: string;
  type: "id" | "unique" | "normal" | "fulltext";
  fields: { name: string }[];
}

interface Datamodel {
  models: DmmfModel[];
  enums: { name: string; values: { name: string; dbName?: string | null }[] }[];
  indexes: DmmfIndex[];
}

/** Prisma's own reading of the schema (the same WebAssembly build the CLI uses). */
export function readDatamodel(schemaPath = ACCOUNTS_SCHEMA_PATH): Datamodel {
  const require = createRequire(import.meta.url);
  const wasm = require("@prisma/prisma-schema-wasm") as { get_dmmf(params: string): string };
  const dmmf = JSON.parse(wasm.get_dmmf(JSON.stringify({ prismaSchema: readFileSync(schemaPath, "utf8") }))) as { datamodel: Datamodel };
  return dmmf.datamodel;
}

interface LiveColumn {
  TABLE_NAME: string;
  COLUMN_NAME: string;
  IS_NULLABLE: "YES" | "NO";
  COLUMN_TYPE: string;
  COLLATION_NAME: string | null;
}
interface LiveIndexColumn {
  TABLE_NAME: string;
  INDEX_NAME: string;
  NON_UNIQUE: number | bigint;
  COLUMN_NAME: string;
}
interface LiveForeignKey {
  TABLE_NAME: string;
  CONSTRAINT_NAME: string;
  COLUMN_NAME: string;
  REFERENCED_TABLE_NAME: string;
  REFERENCED_COLUMN_NAME: string;
}

/** Column types the schema's scalar types map to when no @db attribute says otherwise. */
const DEFAULT_COLUMN_TYPES: Record<string, string> = {
  String: "varchar(191)",
  Int: "int(11)",
  BigInt: "bigint(20)",
  Boolean: "tinyint(1)",
  DateTime: "datetime(3)",
  Float: "double",
};

function expectedColumnType(field: DmmfField, datamodel: Datamodel): string | undefined {
  if (field.kind === "enum") {
    const values = datamodel.enums.find((e) => e.name === field.type)?.values ?? [];
    return `enum(${values.map((v) => `'${v.dbName ?? v.name}'`).join(",")})`;
  }
  if (field.nativeType) {
    const [name, args] = field.nativeType;
    return `${name.toLowerCase()}${args.length ? `(${args.join(",")})` : ""}`;
  }
  return DEFAULT_COLUMN_TYPES[field.type];
}

/**
 * Prisma has no attribute for a column's collation, so the schema says it in the field's
 * comment: a text column "Compared exactly" must have a binary collation. Only such columns
 * are checked; the others keep the table's default (not compared, see README.md).
 */
const comparedExactly = (field: DmmfField) => /\bCompared exactly\b/.test(field.documentation ?? "");

/** Type names compare case-insensitively; enum values do not. */
const columnTypeKey = (type: string) => type.replace(/^[a-z]+/i, (name) => name.toLowerCase());

const sameColumns = (a: string[], b: string[]) => a.length === b.length && a.every((column, i) => column === b[i]);

/** Every difference found, as sentences; empty when the database matches the schema. */
export async function findSchemaDrift(url: string, schemaPath = ACCOUNTS_SCHEMA_PATH): Promise<string[]> {
  const datamodel = readDatamodel(schemaPath);
  const { columns, indexColumns, foreignKeys } = await withMysqlConnection(url, async (connection) => ({
    columns: (await connection.query(
      "SELECT TABLE_NAME, COLUMN_NAME, IS_NULLABLE, COLUMN_TYPE, COLLATION_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, ORDINAL_POSITION",
    )) as LiveColumn[],
    indexColumns: (await connection.query(
      "SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, COLUMN_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX",
    )) as LiveIndexColumn[],
    foreignKeys: (await connection.query(
      "SELECT TABLE_NAME, CONSTRAINT_NAME, COLUMN_NAME, REFERENCED_TABLE_NAME, REFERENCED_COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = DATABASE() AND REFERENCED_TABLE_NAME IS NOT NULL ORDER BY TABLE_NAME, CONSTRAINT_NAME, ORDINAL_POSITION",
    )) as LiveForeignKey[],
  }));

  const problems: string[] = [];
  const liveTables = new Set(columns.map((c) => c.TABLE_NAME));
  const tableOf = new Map(datamodel.models.map((m) => [m.name, m.dbName ?? m.name]));

  // Indexes as ordered column lists, per table.
  const liveIndexes = new Map<string, { unique: boolean; primary: boolean; columns: string[] }[]>();
  const grouped = new Map<string, { table: string; unique: boolean; primary: boolean; columns: string[] }>();
  for (const row of indexColumns) {
    const key = `${row.TABLE_NAME}.${row.INDEX_NAME}`;
    const entry = grouped.get(key) ?? { table: row.TABLE_NAME, unique: Number(row.NON_UNIQUE) === 0, primary: row.INDEX_NAME === "PRIMARY", columns: [] };
    entry.columns.push(row.COLUMN_NAME);
    grouped.set(key, entry);
  }
  for (const entry of grouped.values()) liveIndexes.set(entry.table, [...(liveIndexes.get(entry.table) ?? []), entry]);

  for (const model of datamodel.models) {
    const table = tableOf.get(model.name)!;
    if (!liveTables.has(table)) {
      problems.push(`table ${table} (model ${model.name}) is missing`);
      continue;
    }
    const columnOf = (fieldName: string) => {
      const field = model.fields.find((f) => f.name === fieldName);
      return field?.dbName ?? fieldName;
    };
    const scalarFields = model.fields.filter((f) => f.kind === "scalar" || f.kind === "enum");
    const liveColumns = new Map(columns.filter((c) => c.TABLE_NAME === table).map((c) => [c.COLUMN_NAME, c]));
    for (const field of scalarFields) {
      const name = field.dbName ?? field.name;
      const live = liveColumns.get(name);
      if (!live) {
        problems.push(`column ${table}.${name} is missing`);
        continue;
      }
      const nullable = live.IS_NULLABLE === "YES";
      if (nullable === field.isRequired) problems.push(`column ${table}.${name} is ${nullable ? "nullable" : "NOT NULL"} but the schema says ${field.isRequired ? "required" : "optional"}`);
      const expected = expectedColumnType(field, datamodel);
      if (expected && columnTypeKey(live.COLUMN_TYPE) !== columnTypeKey(expected)) problems.push(`column ${table}.${name} is ${live.COLUMN_TYPE}, the schema expects ${expected}`);
      if (comparedExactly(field) && !live.COLLATION_NAME?.endsWith("_bin")) {
        problems.push(`column ${table}.${name} compares with ${live.COLLATION_NAME ?? "no collation"}, the schema expects a binary (_bin) collation`);
      }
    }
    const known = new Set(scalarFields.map((f) => f.dbName ?? f.name));
    for (const name of liveColumns.keys()) if (!known.has(name)) problems.push(`column ${table}.${name} is not in the schema`);

    const indexes = liveIndexes.get(table) ?? [];
    for (const index of datamodel.indexes.filter((i) => i.model === model.name)) {
      const wanted = index.fields.map((f) => columnOf(f.name));
      const found = indexes.find((live) => sameColumns(live.columns, wanted));
      const label = `${index.type === "id" ? "primary key" : index.type === "unique" ? "unique index" : "index"} on ${table}(${wanted.join(", ")})`;
      if (!found) problems.push(`${label} is missing`);
      else if (index.type === "id" && !found.primary) problems.push(`${label} is not the primary key`);
      else if (index.type === "unique" && !found.unique) problems.push(`${label} is not unique`);
    }
    // A unique index the schema does not know refuses writes Prisma expects to succeed.
    for (const live of indexes.filter((i) => i.unique && !i.primary)) {
      const declared = datamodel.indexes.some((i) => i.model === model.name && i.type === "unique" && sameColumns(i.fields.map((f) => columnOf(f.name)), live.columns));
      if (!declared) problems.push(`unique index on ${table}(${live.columns.join(", ")}) is not in the schema`);
    }

    for (const relation of model.fields.filter((f) => f.kind === "object" && f.relationFromFields?.length)) {
      const from = relation.relationFromFields!.map(columnOf);
      const targetTable = tableOf.get(relation.type)!;
      const target = datamodel.models.find((m) => m.name === relation.type)!;
      const to = relation.relationToFields!.map((name) => target.fields.find((f) => f.name === name)?.dbName ?? name);
      const constraints = new Map<string, LiveForeignKey[]>();
      for (const fk of foreignKeys.filter((k) => k.TABLE_NAME === table)) constraints.set(fk.CONSTRAINT_NAME, [...(constraints.get(fk.CONSTRAINT_NAME) ?? []), fk]);
      const present = [...constraints.values()].some(
        (rows) => rows[0]!.REFERENCED_TABLE_NAME === targetTable && sameColumns(rows.map((r) => r.COLUMN_NAME), from) && sameColumns(rows.map((r) => r.REFERENCED_COLUMN_NAME), to),
      );
      if (!present) problems.push(`foreign key ${table}(${from.join(", ")}) -> ${targetTable}(${to.join(", ")}) is missing`);
    }
  }
  const modelled = new Set(tableOf.values());
  for (const table of liveTables) if (!modelled.has(table) && table !== MIGRATIONS_TABLE) problems.push(`table ${table} is not in the schema`);
  return problems;
}
