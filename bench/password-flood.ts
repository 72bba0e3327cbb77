// A flood of log-ins against product reads: each logIn costs a password derivation (scrypt,
// 32 MiB, ~0.27 s of a core). `--logins` wrong guesses are sent at once from one network while
// one client reads a product every 50 ms; prints the reads' latency during the flood, how the
// log-ins were answered, and the process's CPU and memory growth. Run it twice to compare the
// password line's settings (password-work-gate.ts), e.g. the defaults against
// `--at-once 4 --per-network 1000` (every derivation at once on libuv's four threads, as before
// the line existed):
//
//   eval "$(scripts/services.sh env)"   # or nothing: embedded engines
//   npx tsx bench/password-flood.ts [--logins 100] [--at-once N] [--per-network N]
import { parseArgs } from "node:util";
import { postGraphQL } from "../test/support/graphql-client.js";
import { startCatalogBenchPlatform } from "./catalog-read-load.js";

const { values } = parseArgs({
  options: {
    logins: { type: "string", default: "100" },
    "at-once": { type: "string" },
    "per-network": { type: "string" },
  },
});
const logins = Number(values.logins);
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;

const platform = await startCatalogBenchPlatform({
  products: 600,
  env: {
    // The flood is the test: the gateway's per-network sign-in budget would refuse most of it first.
    RATE_LIMIT_AUTH_PER_MINUTE: "1000000",
    // Nor would the log-in throttle's failure counts; kept a second only, so the flood's failures
    // do not lock this address out of the shared Redis for other runs and tests afterwards.
    LOGIN_THROTTLE_WINDOW_SECONDS: "1",
    LOGIN_FAILURES_PER_ACCOUNT: "1000000",
    LOGIN_FAILURES_PER_ACCOUNT_ALL_NETWORKS: "1000000",
    LOGIN_FAILURES_PER_ADDRESS: "1000000",
    ...(values["at-once"] ? { PASSWORD_CHECKS_AT_ONCE: values["at-once"] } : {}),
    ...(values["per-network"] ? { PASSWORD_CHECKS_PER_NETWORK: values["per-network"] } : {}),
  },
});
const url = platform.supergraph.gatewayUrl;
try {
  const email = `flood-${Date.now()}@example.com`;
  const signUp = await postGraphQL(url, `mutation($input: SignUpInput!) { signUp(input: $input) { user { id } } }`, { input: { email, password: "correct horse battery", name: "Flood Target" } });
  if (signUp.errors) throw new Error(`signUp failed: ${JSON.stringify(signUp.errors)}`);
  const read = async () => {
    const started = performance.now();
    const answer = await postGraphQL(url, `query($id: ID!) { product(id: $id) { id name stock } }`, { id: "prod_0000001" });
    if (answer.errors) throw new Error(`read failed: ${JSON.stringify(answer.errors)}`);
    return performance.now() - started;
  };
  const quiet: number[] = [];
  for (let i = 0; i < 40; i++) quiet.push(await read());

  const cpuBefore = process.cpuUsage();
  const rssBefore = process.memoryUsage().rss;
  let peakRss = rssBefore;
  const codes = new Map<string, number>();
  const floodStarted = performance.now();
  let flooding = true;
  const flood = Promise.all(
    Array.from({ length: logins }, async () => {
      const answer = await postGraphQL(url, `mutation($email: String!, $password: String!) { logIn(email: $email, password: $password) { user { id } } }`, { email, password: "wrong guess" });
      const code = String(answer.errors?.[0]?.extensions?.code ?? "signed in");
      codes.set(code, (codes.get(code) ?? 0) + 1);
    }),
  ).finally(() => (flooding = false));
  const during: number[] = [];
  while (flooding) {
    during.push(await read());
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await flood;
  const floodSeconds = (performance.now() - floodStarted) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  quiet.sort((a, b) => a - b);
  during.sort((a, b) => a - b);
  const ms = (n: number) => `${n.toFixed(1)} ms`;
  console.log(`\n${logins} wrong log-ins at once from one network; PASSWORD_CHECKS_AT_ONCE=${platform.config.accounts.passwordChecks.atOnce}, PASSWORD_CHECKS_PER_NETWORK=${platform.config.accounts.passwordChecks.perNetwork}`);
  console.log(`| measure | value |\n|---|---:|`);
  console.log(`| product read before the flood, p50 / p99 | ${ms(percentile(quiet, 50))} / ${ms(percentile(quiet, 99))} |`);
  console.log(`| product read during the flood, p50 / p99 / max (${during.length} reads) | ${ms(percentile(during, 50))} / ${ms(percentile(during, 99))} / ${ms(during.at(-1) ?? 0)} |`);
  console.log(`| flood answered in | ${floodSeconds.toFixed(1)} s |`);
  console.log(`| log-ins answered | ${[...codes].map(([code, n]) => `${code} ${n}`).join(", ")} |`);
  console.log(`| process CPU during the flood | ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms |`);
  console.log(`| memory growth at peak | ${((peakRss - rssBefore) / 2 ** 20).toFixed(0)} MiB |`);
} finally {
  await platform.close();
}
