/**
 * Typed reads of one environment map, collecting every problem so a misconfigured start
 * fails once with the whole list rather than one variable at a time.
 */
/** Schemes of the engines and services configured here: naming one leaks nothing of a value. */
const KNOWN_SCHEMES: ReadonlySet<string> = new Set(["http:", "https:", "postgres:", "postgresql:", "mongodb:", "mongodb+srv:", "redis:", "rediss:", "mysql:", "mariadb:", "smtp:", "smtps:", "s3:", "kafka:", "amqp:", "file:"]);

export class EnvReader {
  readonly problems: string[] = [];

  constructor(private readonly env: Record<string, string | undefined>) {}

  string(name: string, fallback: string): string {
    const value = this.env[name];
    return value === undefined || value === "" ? fallback : value;
  }

  optional(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value === "" ? undefined : value;
  }

  int(name: string, fallback: number, { min = 0, max = Number.MAX_SAFE_INTEGER } = {}): number {
    const raw = this.optional(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      this.problems.push(`${name} must be an integer between ${min} and ${max} (got "${raw}")`);
      return fallback;
    }
    return value;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const raw = this.optional(name);
    if (raw === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(raw)) {
      this.problems.push(`${name} must be one of ${allowed.join(", ")} (got "${raw}")`);
      return fallback;
    }
    return raw as T;
  }

  /**
   * An optional URL whose scheme is one of `schemes` ("redis:"). The problem names the variable
   * and the scheme found, never the value: connection URLs carry passwords, and the problems
   * are printed. A misspelt URL stops the start here, instead of a driver's message that names
   * no variable (or a start that quietly runs without the engine).
   */
  url(name: string, schemes: readonly string[], example: string): string | undefined {
    const raw = this.optional(name);
    if (raw !== undefined) this.checkUrl(name, raw, schemes, example);
    return raw;
  }

  /** Like `url` with a default, for a comma-separated list of replicas' URLs. */
  urlList(name: string, fallback: string, schemes: readonly string[], example: string): string {
    const raw = this.optional(name);
    if (raw === undefined) return fallback;
    for (const entry of raw.split(",")) this.checkUrl(name, entry.trim(), schemes, example);
    return raw;
  }

  private checkUrl(name: string, value: string, schemes: readonly string[], example: string): void {
    // The scheme read as text: a MongoDB URL naming several hosts is no WHATWG URL.
    const scheme = /^([a-z][a-z0-9+.-]*:)/i.exec(value)?.[1]?.toLowerCase();
    if (scheme !== undefined && schemes.includes(scheme) && /^\/\/[^/?#\s]/.test(value.slice(scheme.length)) && (!scheme.startsWith("http") || URL.canParse(value))) return;
    // What was read before a colon is named only when it is a scheme some engine uses: in
    // "admin:pw@db:5432" (a URL without its scheme) it is the user name, and a secret's part.
    const found =
      scheme === undefined ? "it is not a URL" : schemes.includes(scheme) ? "it names no host" : KNOWN_SCHEMES.has(scheme) ? `its scheme is "${scheme}"` : "it starts with no scheme of these";
    this.problems.push(`${name} must be a URL such as ${example}, of scheme ${schemes.map((known) => known.replace(/:$/, "")).join(" or ")} (${found})`);
  }

  bool(name: string, fallback: boolean): boolean {
    const raw = this.optional(name);
    if (raw === undefined) return fallback;
    if (["1", "true", "yes"].includes(raw)) return true;
    if (["0", "false", "no"].includes(raw)) return false;
    this.problems.push(`${name} must be true or false (got "${raw}")`);
    return fallback;
  }
}
