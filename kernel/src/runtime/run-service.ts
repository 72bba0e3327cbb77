import { ConfigError, loadConfig, type Config } from "../config/config.js";
import { createLogger, type Logger } from "../logging/logger.js";
import { configureMetrics } from "../observability/metrics-registry.js";
import { metricsAccessFor } from "../observability/metrics-route.js";
import { registerPersistedOperationNames } from "../observability/metrics-labels.js";
import { runUntilSignal } from "./run-until-signal.js";

/**
 * Runs one process of the platform (production layout): configuration, logger and metrics,
 * then `start`, which returns what to close on SIGTERM (or nothing when the process manages
 * its own lifetime, as the gateway's worker supervisor does).
 *
 * A start that fails (configuration refused, an engine unreachable past its deadline) is one
 * JSON log line saying why, then exit code 1 for the supervisor or orchestrator to act on:
 * never a raw stack trace on stderr, which log pipelines split into lines nobody can parse.
 */
export async function runService(
  service: string,
  start: (context: { config: Config; logger: Logger }) => Promise<(() => Promise<void>)[] | void>,
  options: { metrics?: boolean } = {},
): Promise<void> {
  let logger = createLogger("info", { service });
  try {
    const config = loadConfig();
    logger = createLogger(config.logLevel, { service });
    if (options.metrics !== false) configureMetrics({ service, access: metricsAccessFor(config) });
    const manifest = config.gateway.persistedOperationsPath;
    if (manifest && !registerPersistedOperationNames(manifest)) logger.warn("persisted operations unreadable: their names are counted as any client's in the metrics", { path: manifest });
    const closers = await start({ config, logger });
    if (closers) runUntilSignal(logger, closers);
  } catch (error) {
    logger.error("start failed", startFailure(error));
    process.exit(1);
  }
}

/** Why a start failed, in fields: the message (and its causes'), the code, the stack as one field. */
function startFailure(error: unknown): Record<string, unknown> {
  if (error instanceof ConfigError) return { reason: error.message };
  const reasons: string[] = [];
  for (let cause: unknown = error, depth = 0; cause !== undefined && cause !== null && depth < 5; cause = (cause as { cause?: unknown }).cause, depth++) {
    reasons.push(cause instanceof Error ? cause.message : String(cause));
  }
  const code = (error as { extensions?: { code?: unknown }; code?: unknown } | null)?.extensions?.code ?? (error as { code?: unknown } | null)?.code;
  return { reason: reasons.join(" <- "), ...(code !== undefined && { code }), ...(error instanceof Error && { stack: error.stack }) };
}
