// The read-path benchmark harness: `npm run bench [-- <scenario>...] [options]`.
// Starts the subgraphs in one process, each gateway under test in its own, and drives load
// from this one; checks every answer; prints and records the results (bench/results/*.json,
// BENCHMARKS.md). See BENCHMARKS.md for the commands and the process layout.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { loadConfig } from "#kernel";
import { checkTargetAnswers, checkTargetRefusals } from "./harness/answer-check.js";
import { platformPortsInRange, prepareBenchEnvironment } from "./harness/bench-environment.js";
import { scenarioSetup } from "./harness/scenario-setup.js";
import { startBenchProcess, withResourceUse } from "./harness/child-process.js";
import { runLoad } from "./harness/load-run.js";
import { warmUpUntilFlat } from "./harness/warm-up.js";
import { appendToBenchmarks, currentCommit, machineFacts, ratiosOf, scenarioTable, writeResults, type RunReport, type ScenarioReport, type TargetRun } from "./harness/report.js";
import { BENCHMARKS_HEADER } from "./harness/benchmarks-header.js";
import { READ_SCENARIOS, SCENARIO_OPERATIONS } from "./scenarios/read-scenarios.js";
import { operationId, PERSISTED_MANIFEST_PATH } from "../schema/golden-operations.js";
import { externalScenarioFiles, runExternalScenario } from "./scenarios/external-scenarios.js";
import { COMPILED_ROUTERS, startTarget, TARGETS, type RunningTarget, type TargetName } from "./targets/targets.js";

const { values: options, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    rounds: { type: "string", default: "3" },
    duration: { type: "string", default: "10" },
    warmup: { type: "string", default: "3" },
    "warmup-slice": { type: "string", default: "5" },
    "warmup-max": { type: "string", default: "60" },
    connections: { type: "string", default: "16" },
    products: { type: "string", default: "600" },
    targets: { type: "string" },
    "no-external": { type: "boolean", default: false },
    "no-record": { type: "boolean", default: false },
  },
});
const settings = {
  rounds: Number(options.rounds),
  durationSeconds: Number(options.duration),
  warmupSeconds: Number(options.warmup),
  warmUpSliceSeconds: Number(options["warmup-slice"]),
  warmUpMaxSeconds: Number(options["warmup-max"]),
  connections: Number(options.connections),
  seedProducts: Number(options.products),
};
const onlyTargets = options.targets ? new Set(options.targets.split(",")) : undefined;
const known = [...READ_SCENARIOS.map((s) => s.name), ...externalScenarioFiles().map((s) => s.name)];
const unknown = positionals.filter((name) => !known.includes(name));
if (unknown.length) {
  console.error(`Unknown scenario ${unknown.join(", ")}; known: ${known.join(", ")}`);
  process.exit(2);
}
const selected = (name: string) => positionals.length === 0 || positionals.includes(name);
const scenarios = READ_SCENARIOS.filter((s) => selected(s.name));
// Without names, the scripts on a design-size dataset stay out (see NAMED_ONLY): named, they run.
const externals = options["no-external"] ? [] : externalScenarioFiles().filter((s) => (positionals.length === 0 ? !s.namedOnly : positionals.includes(s.name)));
const leftOut = options["no-external"] || positionals.length ? [] : externalScenarioFiles().filter((s) => s.namedOnly);
if (leftOut.length) console.log(`not run unless named (a design-size dataset each): ${leftOut.map((s) => s.name).join(", ")}`);

const startedAt = new Date().toISOString();
const logDir = `.run/bench-logs/${startedAt.replace(/[:.]/g, "-")}`;
mkdirSync(logDir, { recursive: true });
const config = loadConfig();
const environment = await prepareBenchEnvironment(config, settings.seedProducts);
const baseEnv = { ...process.env, ...environment.env };
const stops: (() => Promise<void>)[] = [environment.close];
// Interrupted: stop every process this run started before leaving, never orphan them.
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    console.error(`${signal}: stopping the run's processes`);
    void (async () => {
      for (const stop of stops) await stop().catch(() => undefined);
      process.exit(130);
    })();
  });
}
const report: RunReport = {
  startedAt,
  command: `npm run bench${process.argv.length > 2 ? " -- " + process.argv.slice(2).join(" ") : ""}`,
  commit: currentCommit(),
  machine: machineFacts(),
  engines: environment.engines,
  layout:
    "3 kinds of process on the same 2 cores: (1) every subgraph in one process (plus an idle reference gateway used only for setup and expected answers); (2) the gateway under test, one process per target, all started up front and loaded one at a time; (3) this harness driving autocannon and checking every answer",
  settings,
  targets: {},
  scenarios: [],
  external: [],
};

try {
  if (scenarios.length) {
    const subgraphsEnv = { ...baseEnv, ...(await platformPortsInRange()) };
    const subgraphs = await startBenchProcess({ name: "subgraphs", entry: "bench/targets/subgraphs.process.ts", env: subgraphsEnv, logFile: `${logDir}/subgraphs.log`, timeoutMs: 300_000 });
    stops.unshift(subgraphs.stop);
    const { referenceUrl, subgraphUrls } = subgraphs.ready as { referenceUrl: string; subgraphUrls: Record<string, string> };
    const inventory = await fetch(subgraphUrls.inventory!.replace(/\/graphql$/, "/healthz")).then((r) => r.ok, () => false);
    console.log(`subgraphs ready (${Object.keys(subgraphUrls).join(", ")}); inventory ${inventory ? "up: product reads cross products and inventory" : "not running yet: product reads stay in products"}`);

    const setup = scenarioSetup({
      referenceUrl,
      auth: { secret: environment.env.JWT_SECRET!, issuer: config.auth.jwtIssuer },
      internalSecret: environment.env.INTERNAL_SECRET!,
      inventory,
      seedProducts: settings.seedProducts,
      connections: settings.connections,
    });

    // Our gateways' persisted manifest: the platform's, and the scenarios' texts (see SCENARIO_OPERATIONS).
    const persistedManifest = `${logDir}/persisted-operations.json`;
    const manifest = JSON.parse(readFileSync(PERSISTED_MANIFEST_PATH, "utf8")) as Record<string, string>;
    for (const text of SCENARIO_OPERATIONS) manifest[operationId(text)] = text;
    writeFileSync(persistedManifest, JSON.stringify(manifest));
    const wanted = [...new Set(scenarios.flatMap((s) => s.targets))].filter((t) => !onlyTargets || onlyTargets.has(t));
    const running = new Map<TargetName, RunningTarget>();
    for (const name of wanted) {
      if (name.startsWith("ours-cached") && !environment.sharedBus) {
        console.log(`skipping ${name}: no KAFKA_BROKERS, so a gateway in its own process cannot hear catalog changes`);
        continue;
      }
      const binary = COMPILED_ROUTERS[name];
      if (binary && !existsSync(binary)) {
        console.log(`skipping ${name}: ${binary} is not built (scripts/routers/build.sh)`);
        continue;
      }
      const target = await startTarget(name, { env: baseEnv as Record<string, string>, subgraphUrls, logDir, sharedBus: environment.sharedBus, persistedManifest });
      stops.unshift(target.stop);
      running.set(name, target);
      report.targets[name] = TARGETS[name];
      console.log(`target ${name} ready at ${target.url}`);
    }

    for (const scenario of scenarios) {
      const entry: ScenarioReport = { name: scenario.name, description: scenario.description, checked: "", runs: [], ratios: [], warmUp: {}, excluded: {}, loadAverage: loadavg().map((l) => Math.round(l * 10) / 10) };
      report.scenarios.push(entry);
      try {
        const prepared = await scenario.prepare(setup);
        entry.checked = prepared.checked;
        const targets: TargetName[] = [];
        for (const name of scenario.targets.filter((t) => running.has(t))) {
          // Same data as the reference before any figure counts: a peer answering differently is left out, with why.
          const { problems } = await checkTargetAnswers(running.get(name)!.url, prepared.requests(name), 2 * settings.connections, settings.connections);
          const admitted = await checkTargetRefusals(running.get(name)!.url, prepared.refusals ?? []);
          if (problems.length || admitted.length) {
            entry.excluded![name] = problems.length
              ? `${problems.length} of ${2 * settings.connections} answers differ from the reference; first: ${problems[0]!.slice(0, 300)}`
              : `${admitted.length} of ${prepared.refusals!.length} hostile requests not refused; first: ${admitted[0]!.slice(0, 300)}`;
            console.error(`${scenario.name}: ${name} left out: ${entry.excluded![name]}`);
            continue;
          }
          targets.push(name);
        }
        // Each target warmed until its throughput stops rising, before the first round.
        if (settings.warmUpMaxSeconds > 0) {
          for (const name of targets) {
            const target = running.get(name)!;
            const next = prepared.requests(name);
            const warm = await warmUpUntilFlat(
              async (seconds) => (await runLoad({ url: target.url, connections: settings.connections, durationSeconds: seconds, next })).rps,
              { sliceSeconds: settings.warmUpSliceSeconds, maxSeconds: settings.warmUpMaxSeconds },
            );
            entry.warmUp![name] = warm;
            console.log(`${scenario.name} warm-up ${name}: ${warm.slices.join(", ")} req/s per ${settings.warmUpSliceSeconds} s${warm.flat ? " (stopped rising)" : " (still rising at the limit)"}`);
          }
        }
        for (let round = 1; round <= settings.rounds; round++) {
          for (const name of targets) {
            const target = running.get(name)!;
            const next = prepared.requests(name);
            // Warm-up: connections, JIT, query plans, caches; not counted.
            await runLoad({ url: target.url, connections: settings.connections, durationSeconds: settings.warmupSeconds, next });
            const { result, peakRssMb, cpuSeconds } = await withResourceUse(target.pid, { subgraphs: subgraphs.pid }, () =>
              runLoad({ url: target.url, connections: settings.connections, durationSeconds: settings.durationSeconds, next }),
            );
            const run: TargetRun = { target: name, round, ...result, peakRssMb, cpuSeconds };
            entry.runs.push(run);
            console.log(
              `${scenario.name} round ${round} ${name}: ${run.rps} req/s p50 ${run.latencyMs.p50} p99 ${run.latencyMs.p99} ms, errors ${run.errors}, wrong ${run.wrong}, cpu s ${JSON.stringify(cpuSeconds)}${run.firstWrong ? ` (${run.firstWrong.slice(0, 160)})` : ""}`,
            );
          }
        }
        entry.ratios = ratiosOf(entry.runs, scenario.pairs);
        entry.loadAverage!.push(...loadavg().map((l) => Math.round(l * 10) / 10));
      } catch (error) {
        entry.error = error instanceof Error ? error.message : String(error);
        console.error(`${scenario.name} failed: ${entry.error}`);
      }
      console.log("\n" + scenarioTable(entry));
    }
  }
  for (const external of externals) {
    console.log(`running ${external.file} (its own rig)`);
    report.external.push(await runExternalScenario(external, baseEnv));
  }
} finally {
  for (const stop of stops) await stop().catch((error: unknown) => console.error(`stop failed: ${String(error)}`));
}

const resultsPath = writeResults(report);
console.log(`results: ${resultsPath}`);
if (!options["no-record"]) {
  appendToBenchmarks(report, resultsPath, BENCHMARKS_HEADER);
  console.log("appended to BENCHMARKS.md");
}
process.exit(report.scenarios.some((s) => s.error || s.runs.some((r) => r.wrong > 0)) ? 1 : 0);
