/** `--name value` and `--flag` arguments, with the usage text shown on a mistake. */
export function parseArguments(argv: string[], usage: string) {
  const values = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--help" || arg === "-h") {
      process.stdout.write(usage);
      process.exit(0);
    }
    if (!arg.startsWith("--")) fail(`unexpected argument ${arg}`);
    const next = argv[i + 1];
    if (next !== undefined && !next.startsWith("--")) {
      values.set(arg.slice(2), next);
      i++;
    } else values.set(arg.slice(2), true);
  }
  function fail(message: string): never {
    process.stderr.write(`${message}\n\n${usage}`);
    process.exit(2);
  }
  return {
    flag: (name: string) => values.get(name) === true,
    int(name: string, fallback: number): number {
      const raw = values.get(name);
      if (raw === undefined) return fallback;
      const value = Number(String(raw).replaceAll("_", ""));
      if (!Number.isInteger(value) || value < 0) fail(`--${name} must be a whole number`);
      return value;
    },
    fail,
  };
}
