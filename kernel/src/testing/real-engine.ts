import { describe, it } from "node:test";
import { EnvReader } from "../config/env-reader.js";
import { runsInCI } from "./runs-in-ci.js";

type Env = Record<string, string | undefined>;

/** `EventBus contract [kafka]`: every contract suite names the engine it ran against. */
export function engineSuiteTitle(suite: string, engine: string): string {
  return `${suite} [${engine}]`;
}

/** The connection string of a real engine for tests, or undefined when it is not configured. */
export function realEngineUrl(variable: string, env: Env = process.env): string | undefined {
  return new EnvReader(env).optional(variable);
}

export interface RealEngineSuite {
  /** The contract's name, e.g. "EventBus contract". */
  suite: string;
  /** The engine, e.g. "kafka"; it goes into the suite title. */
  engine: string;
  /** The variable holding the engine's URL, e.g. "KAFKA_BROKERS". */
  variable: string;
}

/**
 * Registers a suite that needs a real engine, in the one way every contract suite shares:
 * - the variable is set: `define(url)` registers the real tests;
 * - it is missing in CI (`runsInCI`): a failing test names the variable, because a green CI
 *   run that silently skipped the real engine would prove nothing;
 * - it is missing on a developer's machine: a skipped test says how to run it.
 */
export function describeWithRealEngine(
  { suite, engine, variable }: RealEngineSuite,
  define: (url: string) => void,
  env: Env = process.env,
): void {
  const url = realEngineUrl(variable, env);
  if (url !== undefined) {
    define(url);
    return;
  }
  const title = engineSuiteTitle(suite, engine);
  if (runsInCI(env)) {
    describe(title, () => {
      it(`fails because ${variable} is not set in CI`, () => {
        throw new Error(`${variable} is not set: CI must run "${title}" against a real ${engine}`);
      });
    });
    return;
  }
  describe(title, () => {
    it(`runs against a real ${engine}`, { skip: `${variable} is not set; set it to run against a real ${engine}` }, () => {});
  });
}
