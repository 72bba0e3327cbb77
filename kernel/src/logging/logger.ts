import { activeTraceIds } from "../observability/tracing-context.js";

/**
 * Structured JSON logs, one event a line, on stderr so stdout stays free for tools. While
 * tracing, a line written inside a span carries `traceId` and `spanId`.
 */
export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

export interface Logger {
  debug(event: string, fields?: Record<string, unknown>): void;
  info(event: string, fields?: Record<string, unknown>): void;
  warn(event: string, fields?: Record<string, unknown>): void;
  error(event: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

export function createLogger(
  level: LogLevel,
  base: Record<string, unknown> = {},
  write: (line: string) => void = (line) => process.stderr.write(line + "\n"),
): Logger {
  const threshold = rank[level];
  const emit = (lvl: Exclude<LogLevel, "silent">, event: string, fields?: Record<string, unknown>) => {
    if (rank[lvl] < threshold) return;
    write(JSON.stringify({ time: new Date().toISOString(), level: lvl, event, ...base, ...activeTraceIds(), ...fields }));
  };
  return {
    debug: (e, f) => emit("debug", e, f),
    info: (e, f) => emit("info", e, f),
    warn: (e, f) => emit("warn", e, f),
    error: (e, f) => emit("error", e, f),
    child: (fields) => createLogger(level, { ...base, ...fields }, write),
  };
}
