import { execFileSync } from "node:child_process";
import { appendFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import type { LoadResult } from "./load-run.js";
import type { ExternalScenarioResult } from "../scenarios/external-scenarios.js";

export interface TargetRun extends LoadResult {
  target: string;
  round: number;
  peakRssMb?: number;
  /** CPU seconds used during the measured run by the gateway, the subgraphs and the harness. */
  cpuSeconds: Record<string, number>;
}

export interface ScenarioReport {
  name: string;
  description: string;
  checked: string;
  runs: TargetRun[];
  /** Per pair, the ratio of requests/s in each round, and their median. */
  ratios: { pair: string; perRound: number[]; median: number }[];
  /** Per target, requests/s of each warm-up slice before the first round, and whether it stopped rising. */
  warmUp?: Record<string, { slices: number[]; flat: boolean }>;
  /** Targets left out because their answers differed from the reference, with why. */
  excluded?: Record<string, string>;
  /** The machine's 1, 5 and 15 minute load averages when the scenario started, then when it ended. */
  loadAverage?: number[];
  error?: string;
}

export interface RunReport {
  startedAt: string;
  command: string;
  commit: string;
  machine: { cores: number; cpu: string; memoryGb: number; node: string };
  engines: Record<string, string>;
  layout: string;
  settings: { rounds: number; durationSeconds: number; warmupSeconds: number; warmUpSliceSeconds?: number; warmUpMaxSeconds?: number; connections: number; seedProducts: number };
  targets: Record<string, string>;
  scenarios: ScenarioReport[];
  external: ExternalScenarioResult[];
}

export function machineFacts(): RunReport["machine"] {
  return { cores: cpus().length, cpu: cpus()[0]?.model ?? "unknown", memoryGb: Math.round(totalmem() / 2 ** 30), node: process.version };
}

/** The commit measured, marked when the tree had uncommitted changes. */
export function currentCommit(): string {
  try {
    const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--untracked-files=no"], { encoding: "utf8" }).trim().length > 0;
    return dirty ? `${commit} (with uncommitted changes)` : commit;
  } catch {
    return "unknown";
  }
}

export const median = (values: number[]): number => {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

/** Ratios of requests/s per round for each pair; rounds run the pair back to back. */
export function ratiosOf(runs: TargetRun[], pairs: [string, string][]): ScenarioReport["ratios"] {
  return pairs.flatMap(([a, b]) => {
    const rounds = [...new Set(runs.map((r) => r.round))];
    const perRound = rounds.flatMap((round) => {
      const x = runs.find((r) => r.target === a && r.round === round);
      const y = runs.find((r) => r.target === b && r.round === round);
      return x && y && y.rps > 0 ? [Math.round((x.rps / y.rps) * 100) / 100] : [];
    });
    return perRound.length ? [{ pair: `${a} / ${b}`, perRound, median: median(perRound) }] : [];
  });
}

/** Writes `bench/results/<timestamp>.json` and returns its path. */
export function writeResults(report: RunReport): string {
  mkdirSync("bench/results", { recursive: true });
  const path = `bench/results/${report.startedAt.replace(/[:.]/g, "-")}.json`;
  writeFileSync(path, JSON.stringify(report, null, 2) + "\n");
  return path;
}

/** One scenario as a markdown table: medians over the rounds per target, then the ratios. */
export function scenarioTable(scenario: ScenarioReport): string {
  const lines = [`### ${scenario.name}: ${scenario.description}`, ""];
  if (scenario.error) return [...lines, `Not measured: ${scenario.error}`, ""].join("\n");
  lines.push(`Checked: ${scenario.checked}.`, "");
  if (scenario.loadAverage?.length) {
    const [a, b, c, d, e, f] = scenario.loadAverage;
    lines.push(`Machine load average (1/5/15 min): ${a}/${b}/${c} at the start${d === undefined ? "" : `, ${d}/${e}/${f} at the end`} (2 cores).`, "");
  }
  for (const [target, why] of Object.entries(scenario.excluded ?? {})) lines.push(`Left out: **${target}**: ${why.replace(/`/g, "'")}`, "");
  const warmed = Object.entries(scenario.warmUp ?? {});
  if (warmed.length) {
    lines.push("Warm-up before the first round (requests/s per slice, until two slices set no new best above 5%):", "");
    for (const [target, warm] of warmed) lines.push(`- ${target}: ${warm.slices.join(", ")}${warm.flat ? "" : " (still rising at the limit)"}`);
    lines.push("");
  }
  lines.push("| target | requests/s (median) | each round | p50 ms | p90 ms | p99 ms | errors | wrong answers | cache hit/coalesced/miss/bypass | gateway peak RSS MB | CPU ms per request: gateway / subgraphs / load generator |");
  lines.push("|---|---:|---|---:|---:|---:|---:|---:|---|---:|---|");
  const targets = [...new Set(scenario.runs.map((r) => r.target))];
  for (const target of targets) {
    const runs = scenario.runs.filter((r) => r.target === target);
    const m = (pick: (r: TargetRun) => number) => median(runs.map(pick));
    const sum = (pick: (r: TargetRun) => number) => runs.reduce((total, r) => total + pick(r), 0);
    const cache = ["hit", "coalesced", "miss", "bypass"].map((k) => sum((r) => r.cache[k] ?? 0));
    const peak = Math.max(...runs.map((r) => r.peakRssMb ?? 0));
    const perRequest = (part: string) => {
      const requests = sum((r) => r.requests);
      const seconds = sum((r) => r.cpuSeconds[part] ?? 0);
      return requests > 0 && runs.some((r) => part in r.cpuSeconds) ? ((seconds * 1000) / requests).toFixed(2) : "-";
    };
    lines.push(
      `| ${target} | ${Math.round(m((r) => r.rps))} | ${runs.map((r) => r.rps).join(", ")} | ${m((r) => r.latencyMs.p50)} | ${m((r) => r.latencyMs.p90)} | ${m((r) => r.latencyMs.p99)} | ${sum((r) => r.errors)} | ${sum((r) => r.wrong)} | ${cache.some((c) => c > 0) ? cache.join(" / ") : "-"} | ${peak > 0 ? peak : "-"} | ${["gateway", "subgraphs", "harness"].map(perRequest).join(" / ")} |`,
    );
  }
  const wrong = scenario.runs.find((r) => r.firstWrong);
  if (wrong) lines.push("", `First wrong answer (${wrong.target}): \`${wrong.firstWrong!.replace(/`/g, "'")}\``);
  if (scenario.ratios.length) {
    lines.push("", "Ratios of requests/s, per round (same round = back-to-back runs):", "");
    for (const ratio of scenario.ratios) lines.push(`- ${ratio.pair}: **${ratio.median.toFixed(2)}x** (rounds: ${ratio.perRound.map((r) => r.toFixed(2)).join(", ")})`);
  }
  lines.push("");
  return lines.join("\n");
}

/** Appends the run to BENCHMARKS.md (created with its header when missing). */
export function appendToBenchmarks(report: RunReport, resultsPath: string, header: string): void {
  if (!existsSync("BENCHMARKS.md")) writeFileSync("BENCHMARKS.md", header);
  const m = report.machine;
  const sections = [
    "",
    `## Run ${report.startedAt}`,
    "",
    `- Commit: ${report.commit}`,
    `- Machine: ${m.cores} cores (${m.cpu}), ${m.memoryGb} GB memory, Node ${m.node}`,
    `- Command: \`${report.command}\``,
    `- Engines: ${Object.entries(report.engines).map(([role, engine]) => `${role}: ${engine}`).join("; ")}`,
    // The owners' scripts bring their own rig and settings; these lines describe the harness's.
    ...(report.scenarios.length
      ? [
          `- Layout: ${report.layout}`,
          `- Settings: ${report.settings.rounds} rounds, ${report.settings.warmUpMaxSeconds ? `each target first warmed in ${report.settings.warmUpSliceSeconds} s slices until flat (at most ${report.settings.warmUpMaxSeconds} s), then ` : ""}${report.settings.warmupSeconds} s warm-up + ${report.settings.durationSeconds} s measured per target and round, ${report.settings.connections} connections, ${report.settings.seedProducts} products`,
        ]
      : []),
    `- Results: \`${resultsPath}\``,
    "",
    ...report.scenarios.map(scenarioTable),
    ...report.external.map((e) => [`### ${e.name} (\`${e.file}\`, its own rig, ${e.seconds} s, exit ${e.exitCode})`, "", "```", e.output, "```", ""].join("\n")),
  ];
  appendFileSync("BENCHMARKS.md", sections.join("\n"));
}
