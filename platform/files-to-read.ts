import { accessSync, constants, statSync } from "node:fs";
import type { Config } from "#kernel/config/config.ts";

/**
 * The files the configuration names that cannot be read, one problem each, naming the
 * variable. `npm start` and `npm run start:fleet` check them before anything starts: the gateway reads them last, so a
 * mistyped SUPERGRAPH_PATH ran every subgraph for half a minute and then stopped with a bare
 * "ENOENT: no such file or directory" that named no variable.
 */
export function unreadableConfiguredFiles(config: Config): string[] {
  const files: [string, string | undefined][] = [
    ["SUPERGRAPH_PATH", config.gateway.supergraphPath],
    ["PERSISTED_OPERATIONS_PATH", config.gateway.persistedOperationsPath],
  ];
  const problems: string[] = [];
  for (const [variable, path] of files) {
    if (path === undefined) continue;
    const reason = unreadable(path);
    if (reason) problems.push(`${variable} names ${path}, which ${reason}`);
  }
  return problems;
}

/**
 * The refusal `npm start` and `npm run start:fleet` print for unreadable files, or undefined:
 * each start checks before it starts anything, the fleet's too (its gateways read the files
 * last, after every subgraph process had started).
 */
export function unreadableFilesMessage(config: Config): string | undefined {
  const problems = unreadableConfiguredFiles(config);
  if (problems.length === 0) return undefined;
  return `Invalid configuration:\n${problems.map((problem) => `- ${problem}`).join("\n")}\n(see the configuration table in README.md)`;
}

function unreadable(path: string): string | undefined {
  try {
    if (!statSync(path).isFile()) return "is not a file";
    accessSync(path, constants.R_OK);
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === "ENOENT" ? "does not exist" : code === "EACCES" ? "this process may not read" : `cannot be read (${code ?? String(error)})`;
  }
}
