// What verifying an access token costs the gateway: tokens never seen before (every checkout
// of the checkout benchmark brings one), verified by jose's jwtVerify with the HS256 secret as
// bytes (a WebCrypto key import and a thread-pool job each, as the gateway did) and by the
// gateway's verifier (node's HMAC, see gateway/src/auth/hs256-token.ts), alternately in blocks
// so both share each moment's load; CPU time of this process (the thread pool's included). The
// whole verifier adds what both ways share (the subject's checks, remembering the token).
//
//   npx tsx bench/access-token-verification.ts [--tokens 20000] [--block 1000]
import { parseArgs } from "node:util";
import { jwtVerify } from "jose";
import { DEFAULT_TOKEN_AUDIENCE, issueAccessToken } from "#kernel";
import { createAccessTokenVerifier } from "../gateway/src/auth/access-token-verifier.js";
import { createHs256Verifier } from "../gateway/src/auth/hs256-token.js";

const { values: args } = parseArgs({ options: { tokens: { type: "string", default: "20000" }, block: { type: "string", default: "1000" } } });
const TOKENS = Number(args.tokens);
const BLOCK = Number(args.block);
const auth = { secret: "bench-secret-0123456789-0123456789-0123456789", issuer: "storefront-bench" };
const secret = new TextEncoder().encode(auth.secret);

const tokens: string[] = [];
for (let i = 0; i < 2 * TOKENS; i++) tokens.push(await issueAccessToken(auth, { userId: `usr_${i}`, roles: ["customer"] }));

// A verifier remembers what it verified: each block gets tokens neither has seen.
const gateway = createAccessTokenVerifier({ ...auth, maxRemembered: 1 });
const hs256 = createHs256Verifier(auth.secret);
const claims = { issuer: auth.issuer, audience: DEFAULT_TOKEN_AUDIENCE, maxTokenAge: 86_400, clockTolerance: 30 };
const ways: Record<string, (token: string) => Promise<unknown>> = {
  "jose, secret as bytes (before)": (token) =>
    jwtVerify(token, secret, { issuer: auth.issuer, audience: DEFAULT_TOKEN_AUDIENCE, algorithms: ["HS256"], requiredClaims: ["exp", "iat", "sub"], maxTokenAge: 86_400, clockTolerance: 30 }),
  "node's HMAC, the same checks (now)": async (token) => hs256(token, claims),
  "the gateway's whole verifier (now)": (token) => gateway(token),
};
const spent = new Map(Object.keys(ways).map((name) => [name, { cpuUs: 0, wallMs: 0, count: 0 }]));
let next = 0;
for (let done = 0; done < TOKENS; done += BLOCK) {
  for (const [name, verify] of Object.entries(ways)) {
    const block = tokens.slice(next, next + BLOCK);
    next += BLOCK;
    const cpu = process.cpuUsage();
    const started = performance.now();
    await Promise.all(block.map((token) => verify(token)));
    const used = process.cpuUsage(cpu);
    const figures = spent.get(name)!;
    figures.cpuUs += used.user + used.system;
    figures.wallMs += performance.now() - started;
    figures.count += block.length;
  }
}
console.log(`${TOKENS} tokens each way, blocks of ${BLOCK} verified at once, alternating; node ${process.version}`);
for (const [name, { cpuUs, wallMs, count }] of spent) console.log(`${name.padEnd(36)} ${(cpuUs / count).toFixed(1).padStart(7)} µs CPU a token, ${((wallMs * 1000) / count).toFixed(1).padStart(7)} µs wall`);
