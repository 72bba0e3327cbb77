// Cost of the accounts subgraph's security work, in process (no HTTP): scrypt hashing,
// log-ins (one hash each), and refresh-token rotations on the embedded store and, with
// MYSQL_URL set, on MySQL (a fresh database, dropped afterwards).
//   npx tsx bench/accounts-auth.bench.ts
import { availableParallelism } from "node:os";
import { createAccessTokenIssuer, createLogger, loadConfig } from "#kernel/index.ts";
import { EmbeddedUserStore } from "../subgraphs/accounts/src/adapters/embedded-user-store.js";
import { PrismaUserStore } from "../subgraphs/accounts/src/adapters/prisma-user-store.js";
import { createLoginThrottle } from "../subgraphs/accounts/src/adapters/rate-limiter-login-throttle.js";
import { createAccountService } from "../subgraphs/accounts/src/domain/account.service.js";
import { hashPassword } from "../subgraphs/accounts/src/domain/password-hashing.js";
import type { UserStore } from "../subgraphs/accounts/src/ports/user-store.js";
import { createMysqlTestDatabase } from "../subgraphs/accounts/test/support/mysql-test-database.js";

const config = loadConfig();
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const summary = (samples: number[]) => {
  const sorted = [...samples].sort((a, b) => a - b);
  return `median ${percentile(sorted, 50).toFixed(1)} ms, p95 ${percentile(sorted, 95).toFixed(1)} ms (n=${samples.length})`;
};
async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

console.log(`cores ${availableParallelism()}`);

const hashes: number[] = [];
for (let i = 0; i < 10; i++) hashes.push(await timed(() => hashPassword(`password-${i}`)));
console.log(`scrypt hash (N=2^15, r=8, p=1): ${summary(hashes)}`);

async function benchStore(engine: string, store: UserStore) {
  const accounts = createAccountService({
    store,
    throttle: createLoginThrottle({ failuresPerAccount: 1_000_000, failuresPerAddress: 1_000_000, windowSeconds: 60 }),
    tokens: createAccessTokenIssuer({ issuer: "bench", secret: config.auth.jwtSecret, ttlSeconds: 900 }),
    refreshTokenTtlSeconds: 3600,
    logger: createLogger("silent"),
  });
  const email = `bench-${Date.now()}@example.com`;
  let session = await accounts.signUp({ email, password: "bench-password", name: "Bench" });

  const logins: number[] = [];
  for (let i = 0; i < 10; i++) logins.push(await timed(() => accounts.logIn(email, "bench-password")));
  console.log(`[${engine}] logIn, sequential: ${summary(logins)}`);

  const concurrent = 16;
  const wall = await timed(() => Promise.all(Array.from({ length: concurrent }, () => accounts.logIn(email, "bench-password"))));
  console.log(`[${engine}] logIn, ${concurrent} at once: ${wall.toFixed(0)} ms wall, ${((concurrent / wall) * 1000).toFixed(1)} log-ins/s`);

  const rotations: number[] = [];
  for (let i = 0; i < 200; i++) rotations.push(await timed(async () => (session = await accounts.refresh(session.refreshToken))));
  console.log(`[${engine}] refresh (rotate + sign): ${summary(rotations)}`);
  await store.close();
}

await benchStore("embedded", await EmbeddedUserStore.open());
if (config.accounts.mysqlUrl) {
  const database = await createMysqlTestDatabase(config.accounts.mysqlUrl);
  try {
    await benchStore("mysql", await PrismaUserStore.connect(database.url));
  } finally {
    await database.drop();
  }
}
process.exit(0);
