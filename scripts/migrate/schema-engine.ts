// Prisma's schema engine compiled to WebAssembly (@prisma/schema-engine-wasm), driven through
// our PostgreSQL driver adapter. This is the code path Prisma 7 contains for migrations
// without the native engine binary, which no CLI command of prisma 7.10.1 calls.
//
// Pitfalls handled here (see prisma/README.md):
//  - The package's entry imports the .wasm file as an ES module, which Node 20 cannot load:
//    we instantiate the binary ourselves, once per process (wasm-bindgen keeps global state).
//  - A Rust panic calls globalThis.PRISMA_WASM_PANIC_REGISTRY.set_message(); without that
//    object the only message left is "Cannot read properties of undefined (reading
//    'set_message')". We install one and report the real panic message.
//  - The engine arms a 10 s setTimeout around operations such as taking the migration advisory
//    lock and never clears it, which kept every process alive 10 s after its last command. The
//    wasm import for setTimeout is replaced by one whose timers are cleared once no engine is
//    open any more.
//  - createMigration() has no shadow database of its own: it needs devDiagnostic() first, on a
//    database with every migration applied (createMigration() below runs devDiagnostic();
//    commands/create.ts provides the database).
//  - Errors thrown in the adapter come back as "External error id#N": the error itself is
//    looked up in the adapter's registry. The Rust span trace at the end of messages is cut.
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import {
  bindMigrationAwareSqlAdapterFactory,
  type ErrorRegistry,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
} from "@prisma/driver-adapter-utils";
import type * as Wasm from "@prisma/schema-engine-wasm";
import { type PgConnectionFields, parseDatabaseUrl } from "./connection.js";
import { MigrationPgAdapterFactory } from "./pg-adapter.js";

export type {
  ApplyMigrationsOutput,
  CreateMigrationOutput,
  DiagnoseMigrationHistoryOutput,
  DiffTarget,
  MigrationList,
  SchemaFilter,
  SchemasContainer,
} from "@prisma/schema-engine-wasm";

/** No tables or enums are managed outside of schema.prisma. */
export const NO_EXTERNAL_OBJECTS: Wasm.SchemaFilter = { externalTables: [], externalEnums: [] };

type WasmRuntime = typeof Wasm & { __wbg_set_wasm(exports: WebAssembly.Exports): void };

let lastPanicMessage: string | undefined;

function installPanicRegistry(): void {
  const registryHolder = globalThis as { PRISMA_WASM_PANIC_REGISTRY?: { set_message?(message: string): void } };
  const previous = registryHolder.PRISMA_WASM_PANIC_REGISTRY;
  registryHolder.PRISMA_WASM_PANIC_REGISTRY = {
    set_message(message: string) {
      lastPanicMessage = message;
      previous?.set_message?.(message);
    },
  };
}

// Timers the engine armed, and how many engines are open.
const engineTimers = new Set<NodeJS.Timeout>();
let openEngines = 0;

function engineSetTimeout(callback: () => void, milliseconds: number): NodeJS.Timeout {
  const timer = setTimeout(() => {
    engineTimers.delete(timer);
    callback();
  }, milliseconds >>> 0);
  engineTimers.add(timer);
  return timer;
}

function clearEngineTimers(): void {
  for (const timer of engineTimers) clearTimeout(timer);
  engineTimers.clear();
}

let runtimePromise: Promise<WasmRuntime> | undefined;

function loadRuntime(): Promise<WasmRuntime> {
  runtimePromise ??= (async () => {
    installPanicRegistry();
    const require = createRequire(import.meta.url);
    const gluePath = require.resolve("@prisma/schema-engine-wasm/schema_engine_bg");
    const runtime = (await import("@prisma/schema-engine-wasm/schema_engine_bg")) as unknown as WasmRuntime;
    const imports: Record<string, unknown> = { ...runtime };
    const setTimeoutImports = Object.keys(imports).filter((name) => name.startsWith("__wbg_setTimeout_"));
    if (setTimeoutImports.length === 0) {
      throw new Error("@prisma/schema-engine-wasm glue changed (no setTimeout import): re-check scripts/migrate/schema-engine.ts");
    }
    for (const name of setTimeoutImports) imports[name] = engineSetTimeout;
    const bytes = await readFile(path.join(path.dirname(gluePath), "schema_engine_bg.wasm"));
    const module = await WebAssembly.compile(bytes);
    const instance = await WebAssembly.instantiate(module, { "./schema_engine_bg.js": imports as WebAssembly.ModuleImports });
    runtime.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
    return runtime;
  })();
  runtimePromise.catch(() => {
    runtimePromise = undefined; // let a later call try again
  });
  return runtimePromise;
}

export class SchemaEngineError extends Error {
  override name = "SchemaEngineError";
  constructor(
    readonly command: string,
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

/** Keeps track of the connections the engine opens so close() can release them all. */
class TrackingFactory implements SqlMigrationAwareDriverAdapterFactory {
  readonly provider = "postgres" as const;
  readonly adapterName: string;
  private readonly open = new Set<SqlDriverAdapter>();

  constructor(private readonly inner: MigrationPgAdapterFactory) {
    this.adapterName = inner.adapterName;
  }

  connect(): Promise<SqlDriverAdapter> {
    return this.track(this.inner.connect());
  }

  connectToShadowDb(): Promise<SqlDriverAdapter> {
    return this.track(this.inner.connectToShadowDb());
  }

  private async track(connecting: Promise<SqlDriverAdapter>): Promise<SqlDriverAdapter> {
    const adapter = await connecting;
    this.open.add(adapter);
    const dispose = adapter.dispose.bind(adapter);
    return Object.assign(adapter, {
      dispose: async () => {
        this.open.delete(adapter);
        await dispose();
      },
    });
  }

  async disposeAll(): Promise<void> {
    const adapters = [...this.open];
    this.open.clear();
    await Promise.allSettled(adapters.map((adapter) => adapter.dispose()));
  }
}

export interface OpenEngineOptions {
  databaseUrl: string;
  /** The Prisma schema files, for commands that read the datasource from the schema. */
  schema?: Wasm.SchemasContainer;
  /** Receives the engine's debug log lines. */
  log?: (line: string) => void;
}

export class MigrationEngine {
  private closed = false;

  private constructor(
    private readonly engine: Wasm.SchemaEngine,
    private readonly factory: TrackingFactory,
    private readonly errorRegistry: ErrorRegistry,
    readonly connection: PgConnectionFields,
  ) {}

  static async open(options: OpenEngineOptions): Promise<MigrationEngine> {
    const connection = parseDatabaseUrl(options.databaseUrl);
    const runtime = await loadRuntime();
    const factory = new TrackingFactory(new MigrationPgAdapterFactory(connection));
    const bound = bindMigrationAwareSqlAdapterFactory(factory);
    const datamodels = options.schema?.files.length
      ? options.schema.files.map((file): [string, string] => [file.path, file.content])
      : undefined;
    // MIGRATE_ENGINE_LOG=1 prints the engine's own log lines (JSON) to stderr.
    const log = options.log ?? (process.env.MIGRATE_ENGINE_LOG ? (line: string) => process.stderr.write(`${line}\n`) : () => undefined);
    openEngines++;
    try {
      const engine = await runtime.SchemaEngine.new({ datamodels }, log, bound);
      return new MigrationEngine(engine, factory, bound.errorRegistry, connection);
    } catch (error) {
      await factory.disposeAll();
      if (--openEngines === 0) clearEngineTimers();
      throw toEngineError("connect", error, bound.errorRegistry);
    }
  }

  private async run<T>(command: string, call: () => Promise<T>): Promise<T> {
    if (this.closed) throw new SchemaEngineError(command, "the schema engine was closed");
    lastPanicMessage = undefined;
    try {
      return await call();
    } catch (error) {
      throw toEngineError(command, error, this.errorRegistry);
    }
  }

  applyMigrations(input: Wasm.ApplyMigrationsInput): Promise<Wasm.ApplyMigrationsOutput> {
    return this.run("applyMigrations", () => this.engine.applyMigrations(input));
  }

  diagnoseMigrationHistory(input: Wasm.DiagnoseMigrationHistoryInput): Promise<Wasm.DiagnoseMigrationHistoryOutput> {
    return this.run("diagnoseMigrationHistory", () => this.engine.diagnoseMigrationHistory(input));
  }

  devDiagnostic(input: Wasm.DevDiagnosticInput): Promise<Wasm.DevDiagnosticOutput> {
    return this.run("devDiagnostic", () => this.engine.devDiagnostic(input));
  }

  /**
   * Generates the next migration (never applies it). Runs devDiagnostic first: createMigration
   * has no shadow database of its own and reads the migrations' schema from the cache
   * devDiagnostic fills. That cache entry only matches when every migration of the folder is
   * applied to this engine's database (see commands/create.ts).
   */
  async createMigration(
    input: Wasm.CreateMigrationInput,
  ): Promise<{ diagnostic: Wasm.DevDiagnosticOutput; migration: Wasm.CreateMigrationOutput }> {
    const diagnostic = await this.devDiagnostic({ migrationsList: input.migrationsList, filters: input.filters });
    const migration = await this.run("createMigration", () => this.engine.createMigration(input));
    return { diagnostic, migration };
  }

  markMigrationRolledBack(input: Wasm.MarkMigrationRolledBackInput): Promise<Wasm.MarkMigrationRolledBackOutput> {
    return this.run("markMigrationRolledBack", () => this.engine.markMigrationRolledBack(input));
  }

  markMigrationApplied(input: Wasm.MarkMigrationAppliedInput): Promise<Wasm.MarkMigrationAppliedOutput> {
    return this.run("markMigrationApplied", () => this.engine.markMigrationApplied(input));
  }

  diff(input: Wasm.DiffParams): Promise<Wasm.DiffResult> {
    return this.run("diff", () => this.engine.diff(input));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      this.engine.free();
    } catch {
      // After a panic the instance may refuse to be freed; its connections are closed below.
    } finally {
      await this.factory.disposeAll();
      if (--openEngines === 0) clearEngineTimers();
    }
  }
}

/** Opens an engine, runs `fn`, and always closes the engine and its connections. */
export async function withMigrationEngine<T>(
  options: OpenEngineOptions,
  fn: (engine: MigrationEngine) => Promise<T>,
): Promise<T> {
  const engine = await MigrationEngine.open(options);
  try {
    return await fn(engine);
  } finally {
    await engine.close();
  }
}

function toEngineError(command: string, error: unknown, errorRegistry: ErrorRegistry): SchemaEngineError {
  if (error instanceof SchemaEngineError) return error;
  if (lastPanicMessage !== undefined) {
    const message = lastPanicMessage;
    lastPanicMessage = undefined;
    return new SchemaEngineError(command, `schema engine panicked during ${command}: ${message}`);
  }
  const err = error as { message?: unknown; code?: unknown; cause?: unknown };
  const code = typeof err.code === "string" ? err.code : undefined;
  let message = typeof err.message === "string" ? err.message : String(error);
  if (err.cause !== undefined && !message.includes(String((err.cause as { message?: unknown }).message ?? ""))) {
    message += ` (cause: ${describeCause(err.cause)})`;
  }
  message = withoutBacktrace(message);
  // A JavaScript error thrown inside the adapter reaches us as "External error id#N"; the
  // error itself waits in the adapter's registry.
  const external = /External error id#(\d+)/.exec(message);
  const original = external ? errorRegistry.consumeError(Number(external[1]))?.error : undefined;
  if (original !== undefined) message += `: ${describeCause(original)}`;
  return new SchemaEngineError(command, code ? `${code}: ${message}` : message, code);
}

/** Engine messages end with a Rust span trace ("   0: schema_engine_wasm::...\n   at file.rs:1"). */
function withoutBacktrace(message: string): string {
  const lines = message.split("\n");
  const traceStart = lines.findIndex((line) => /^\s*\d+: \S+::\S+/.test(line));
  return (traceStart === -1 ? lines : lines.slice(0, traceStart)).join("\n").trimEnd();
}

function describeCause(cause: unknown): string {
  if (cause && typeof cause === "object") {
    const c = cause as { message?: unknown; kind?: unknown; originalMessage?: unknown };
    if (typeof c.originalMessage === "string") return c.originalMessage;
    if (typeof c.message === "string") return c.message;
    if (typeof c.kind === "string") return c.kind;
    try {
      return JSON.stringify(cause);
    } catch {
      // fall through
    }
  }
  return String(cause);
}
