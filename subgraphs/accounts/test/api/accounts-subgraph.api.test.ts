import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { after, before, describe, it } from "node:test";
import type { Identity } from "#kernel";
import { describeWithRealEngine } from "#kernel/testing";
import type { RunningAccounts } from "../../src/accounts-subgraph.js";
import { PrismaUserStore } from "../../src/adapters/prisma-user-store.js";
import { createMysqlTestDatabase } from "../support/mysql-test-database.js";
import { startAccounts, type GraphQLAnswer } from "../support/start-accounts.js";
import { MAX_ADDRESSES_PER_USER } from "../../src/domain/address.service.js";

const SIGN_UP = `mutation ($input: SignUpInput!) { signUp(input: $input) { accessToken user { id } } }`;
const LOG_IN = `mutation ($email: String!, $password: String!) { logIn(email: $email, password: $password) { user { id } } }`;
const codeOf = (answer: GraphQLAnswer) => answer.errors?.[0]?.extensions?.code;

/**
 * Adds racing at the address cap (two tabs, a double click): the cap is the size the schema
 * declares for User.addresses, so however many race, an account never keeps more.
 */
async function raceAddsAtTheAddressCap(call: Awaited<ReturnType<typeof startAccounts>>["call"], email: string) {
  const signUp = await call(SIGN_UP, { input: { email, password: "password-ok", name: "Ina" } });
  const user: Identity = { userId: signUp.data!.signUp.user.id, roles: ["customer"] };
  const add = (n: number) => call(`mutation { addAddress(input: { recipientName: "Ina", line1: "Road ${n}", city: "Oslo", postalCode: "0150", country: "NO" }) { id } }`, {}, { identity: user });
  for (let n = 0; n < MAX_ADDRESSES_PER_USER - 2; n++) assert.equal((await add(n)).errors, undefined);
  const raced = await Promise.all(Array.from({ length: 6 }, (_, n) => add(100 + n)));
  assert.equal(raced.filter((r) => r.errors === undefined).length, 2, JSON.stringify(raced.map((r) => r.errors?.[0]?.message)));
  for (const refused of raced.filter((r) => r.errors)) assert.equal(codeOf(refused), "BAD_USER_INPUT");
  const listed = await call(`query { me { addresses { id } } }`, {}, { identity: user });
  assert.equal(listed.data?.me.addresses.length, MAX_ADDRESSES_PER_USER);
}

/**
 * A double-clicked "Save address" (here twenty clicks at once), and the same address typed again
 * in other letter case and spacing: one address, every answer naming it.
 */
async function raceIdenticalAdds(call: Awaited<ReturnType<typeof startAccounts>>["call"], email: string) {
  const signUp = await call(SIGN_UP, { input: { email, password: "password-ok", name: "Ina" } });
  const user: Identity = { userId: signUp.data!.signUp.user.id, roles: ["customer"] };
  const add = (line1: string, city = "Oslo") => call(`mutation ($line1: String!, $city: String!) { addAddress(input: { recipientName: "Ina", line1: $line1, city: $city, postalCode: "0150", country: "NO" }) { id } }`, { line1, city }, { identity: user });
  const raced = await Promise.all(Array.from({ length: 20 }, () => add("Road 1")));
  assert.deepEqual(raced.map((r) => r.errors), Array.from({ length: 20 }, () => undefined));
  const ids = new Set(raced.map((r) => r.data!.addAddress.id));
  assert.equal(ids.size, 1, "every click answered with the one address");
  assert.equal((await add("  road   1 ", "OSLO")).data!.addAddress.id, [...ids][0], "the same address in other case and spacing");
  const other = await add("Road 2");
  assert.ok(!ids.has(other.data!.addAddress.id), "another address is added");
  const listed = await call(`query { me { addresses { id } } }`, {}, { identity: user });
  assert.equal(listed.data?.me.addresses.length, 2);
}

const REFRESH = `mutation ($token: String!) { refreshToken(refreshToken: $token) { refreshToken } }`;
const LOG_OUT = `mutation ($token: String!) { logOut(refreshToken: $token) }`;

/**
 * Two tabs of one session (or a retry) renewing with one token at once: every refresh answers
 * with the same successor, which renews the session once more; nothing ends it, and no second
 * live branch is made. A log-out racing a refresh of its session always answers, and leaves no
 * token that renews.
 */
async function raceRefreshesOfOneSession(call: Awaited<ReturnType<typeof startAccounts>>["call"], email: string) {
  const signUp = await call(`mutation ($input: SignUpInput!) { signUp(input: $input) { refreshToken } }`, { input: { email, password: "password-ok", name: "Ria" } });
  const token = signUp.data!.signUp.refreshToken as string;
  const raced = await Promise.all(Array.from({ length: 8 }, () => call(REFRESH, { token })));
  assert.deepEqual(raced.map((answer) => answer.errors), Array(8).fill(undefined), "every racing refresh answers");
  const successors = new Set(raced.map((answer) => answer.data!.refreshToken.refreshToken as string));
  assert.equal(successors.size, 1, "one successor for all: one live chain");
  const [successor] = successors;
  const renewed = await call(REFRESH, { token: successor });
  assert.equal(renewed.errors, undefined, `the session lives on: ${JSON.stringify(renewed.errors)}`);
  assert.equal(codeOf(await call(REFRESH, { token: renewed.data!.refreshToken.refreshToken })), undefined);

  for (let round = 0; round < 5; round++) {
    const session = await call(LOG_IN.replace("user { id }", "refreshToken"), { email, password: "password-ok" });
    const current = session.data!.logIn.refreshToken as string;
    const [refreshed, loggedOut] = await Promise.all([call(REFRESH, { token: current }), call(LOG_OUT, { token: current })]);
    assert.equal(loggedOut.errors, undefined, `round ${round}: the log-out answers: ${JSON.stringify(loggedOut.errors)}`);
    const next = refreshed.data?.refreshToken.refreshToken as string | undefined;
    if (next) assert.equal(codeOf(await call(REFRESH, { token: next })), "UNAUTHENTICATED", `round ${round}: the refresh's new token died with the session`);
    else assert.equal(codeOf(refreshed), "UNAUTHENTICATED");
  }
}

describe("accounts subgraph API", () => {
  let subject: Awaited<ReturnType<typeof startAccounts>>;
  before(async () => {
    subject = await startAccounts();
  });
  after(() => subject.close());

  it("throttles log-ins per client address the gateway forwards, across accounts", async () => {
    const { call } = subject;
    await call(SIGN_UP, { input: { email: "ip-victim@example.com", password: "password-ok", name: "Vic" } });
    const attacker = { clientAddress: "203.0.113.50" };
    for (let i = 0; i < 4; i++) {
      const result = await call(LOG_IN, { email: `guess-${i}@example.com`, password: "wrong-password" }, attacker);
      assert.equal(result.errors?.[0]?.extensions?.code, "UNAUTHENTICATED");
    }
    const refused = await call(LOG_IN, { email: "ip-victim@example.com", password: "password-ok" }, attacker);
    assert.equal(refused.errors?.[0]?.extensions?.code, "RATE_LIMITED");
    assert.ok(refused.errors?.[0]?.extensions?.retryAfterSeconds > 0);
    const elsewhere = await call(LOG_IN, { email: "ip-victim@example.com", password: "password-ok" }, { clientAddress: "198.51.100.9" });
    assert.equal(elsewhere.errors, undefined);
  });

  it("keeps at most MAX_ADDRESSES_PER_USER addresses when adds race at the cap", async () => {
    await raceAddsAtTheAddressCap(subject.call, "address-cap@example.com");
  });

  it("keeps one address for twenty identical adds at once, and for the same address in other case and spacing", async () => {
    await raceIdenticalAdds(subject.call, "address-twins@example.com");
  });

  it("answers racing refreshes of a token with one successor and ends nothing, and signs out whatever refresh races the log-out", async () => {
    await raceRefreshesOfOneSession(subject.call, "refresh-race@example.com");
  });

  it("answers the internal defaultAddress query for services only", async () => {
    const { call } = subject;
    const signUp = await call(SIGN_UP, { input: { email: "internal@example.com", password: "password-ok", name: "Ina" } });
    const user: Identity = { userId: signUp.data!.signUp.user.id, roles: ["customer"] };
    const added = await call(`mutation { addAddress(input: { recipientName: "Ina", line1: "Road 1", city: "Oslo", postalCode: "0150", country: "no" }) { id country isDefault } }`, {}, { identity: user });
    assert.deepEqual(added.data?.addAddress.country, "NO");
    const query = `query ($userId: ID!) { defaultAddress(userId: $userId) { id } }`;
    const service = await call(query, { userId: user.userId }, { identity: { userId: "service:orders", roles: ["service"] } });
    assert.equal(service.data?.defaultAddress.id, added.data?.addAddress.id);
    assert.equal((await call(query, { userId: user.userId }, { identity: user })).errors?.[0]?.extensions?.code, "FORBIDDEN");
    assert.equal((await call(query, { userId: user.userId })).errors?.[0]?.extensions?.code, "UNAUTHENTICATED");
  });

  it("refuses a sign-up whose email holds NUL, a control character or an unpaired surrogate, stores nothing and says nothing about the server", async () => {
    const { call, accounts } = subject;
    for (const email of ["nul\u0000@example.com", "bell\u0007@example.com", "crlf\r\n@example.com", "half\uD800@example.com"]) {
      const result = await call(SIGN_UP, { input: { email, password: "password-ok", name: "Mallory" } });
      assert.equal(result.errors?.[0]?.extensions?.code, "BAD_USER_INPUT", JSON.stringify(result));
      assert.equal(result.data?.signUp, undefined);
      assert.doesNotMatch(JSON.stringify(result.errors), /prisma|Database error|invalid byte sequence|\/src\/|\.ts:/i);
      assert.equal(await accounts.store.findCredentials(email.toLowerCase()), null, JSON.stringify(email));
    }
  });

  it("resolves a user reference for the user, an admin or a service, and null for anyone else", async () => {
    const { call } = subject;
    const signUp = await call(SIGN_UP, { input: { email: "entity@example.com", password: "password-ok", name: "Ent" } });
    const id = signUp.data!.signUp.user.id as string;
    const query = `query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on User { id email } } }`;
    const as = async (identity?: Identity) => (await call(query, { representations: [{ __typename: "User", id }] }, { identity })).data?._entities[0];
    assert.deepEqual(await as({ userId: id, roles: ["customer"] }), { id, email: "entity@example.com" });
    assert.deepEqual(await as({ userId: "admin-1", roles: ["customer", "admin"] }), { id, email: "entity@example.com" });
    assert.deepEqual(await as({ userId: "service:orders", roles: ["service"] }), { id, email: "entity@example.com" });
    assert.equal(await as({ userId: "someone-else", roles: ["customer"] }), null);
    assert.equal(await as(undefined), null);
  });

  it("offers no way to read a password or its hash", async () => {
    const result = await subject.call(`{ __type(name: "User") { fields { name } } }`);
    const names: string[] = result.data!.__type.fields.map((f: { name: string }) => f.name);
    assert.ok(names.length > 0 && !names.some((n) => /password|hash/i.test(n)), names.join(", "));
  });

  it("serves no JWKS with HS256 tokens, and still refuses GraphQL calls without the gateway's credential", async () => {
    const base = subject.accounts.url.replace(/\/graphql$/, "");
    assert.equal(subject.accounts.jwksUrl, undefined);
    assert.equal((await fetch(`${base}/.well-known/jwks.json`)).status, 404);
    assert.equal((await fetch(`${base}/constructor`)).status, 404);
    const direct = await fetch(subject.accounts.url, { method: "POST", headers: { "content-type": "application/json" }, body: '{"query":"{ me { id } }"}' });
    assert.equal(direct.status, 403);
  });
});

describe("accounts subgraph API: failed log-ins counted per account and network", () => {
  let subject: Awaited<ReturnType<typeof startAccounts>>;
  before(async () => {
    subject = await startAccounts({ LOGIN_FAILURES_PER_ADDRESS: "50", LOGIN_FAILURES_PER_ACCOUNT: "5", LOGIN_FAILURES_PER_ACCOUNT_ALL_NETWORKS: "10" });
  });
  after(() => subject.close());

  it("refuses the guesser's network after 5 failures while the owner signs in from hers, and holds the account's ceiling over every network", async () => {
    const { call } = subject;
    await call(SIGN_UP, { input: { email: "owner@example.com", password: "password-owner", name: "Owner" } });
    const attacker = { clientAddress: "203.0.113.80" };
    for (let i = 0; i < 5; i++) assert.equal(codeOf(await call(LOG_IN, { email: "owner@example.com", password: `guess-${i}-pw` }, attacker)), "UNAUTHENTICATED");
    assert.equal(codeOf(await call(LOG_IN, { email: "owner@example.com", password: "password-owner" }, attacker)), "RATE_LIMITED");
    const owner = await call(LOG_IN, { email: "owner@example.com", password: "password-owner" }, { clientAddress: "198.51.100.20" });
    assert.equal(owner.errors, undefined, JSON.stringify(owner.errors));
    // Five more networks, one failure each: the account's 10 failures over every network.
    for (let i = 0; i < 5; i++) assert.equal(codeOf(await call(LOG_IN, { email: "owner@example.com", password: "guess-again" }, { clientAddress: `192.0.2.${i}` })), "UNAUTHENTICATED");
    assert.equal(codeOf(await call(LOG_IN, { email: "owner@example.com", password: "password-owner" }, { clientAddress: "198.51.100.20" })), "RATE_LIMITED");
  });
});

const SIGN_UP_ON_DEVICE = `mutation ($input: SignUpInput!) { signUp(input: $input) { user { id } deviceProof } }`;
const LOG_IN_ON_DEVICE = `mutation ($email: String!, $password: String!, $deviceProof: String) { logIn(email: $email, password: $password, deviceProof: $deviceProof) { user { id } deviceProof } }`;

/**
 * Locking a customer out on purpose: failures for her email from 12 networks (past the
 * account's ceiling of 10) refuse every client without a device proof, and never her known
 * devices, each judged by its own budget of 3; another account's proof, a forged one and none
 * at all give nothing. Clients that send no proof get what they got before.
 */
async function knownDevicesOutlastALockout(call: Awaited<ReturnType<typeof startAccounts>>["call"], email: string) {
  const signUp = await call(SIGN_UP_ON_DEVICE, { input: { email, password: "password-owner", name: "Owner" } });
  assert.equal(signUp.errors, undefined, JSON.stringify(signUp.errors));
  const laptop: string = signUp.data!.signUp.deviceProof;
  const phoneLogIn = await call(LOG_IN_ON_DEVICE, { email, password: "password-owner" }, { clientAddress: "198.51.100.30" });
  const phone: string = phoneLogIn.data!.logIn.deviceProof;
  const other = await call(SIGN_UP_ON_DEVICE, { input: { email: `other-${email}`, password: "password-other", name: "Other" } });
  for (let i = 0; i < 12; i++) await call(LOG_IN, { email, password: `guess-${i}-pw` }, { clientAddress: `203.0.113.${100 + i}` });

  const home = { clientAddress: "198.51.100.20" };
  assert.equal(codeOf(await call(LOG_IN, { email, password: "password-owner" }, home)), "RATE_LIMITED", "a client without a proof is locked out");
  const forged = laptop.slice(0, -3) + (laptop.slice(-3) === "AAA" ? "BBB" : "AAA");
  for (const deviceProof of [other.data!.signUp.deviceProof, forged, "", null]) {
    assert.equal(codeOf(await call(LOG_IN_ON_DEVICE, { email, password: "password-owner", deviceProof }, home)), "RATE_LIMITED", String(deviceProof));
  }
  const known = await call(LOG_IN_ON_DEVICE, { email, password: "password-owner", deviceProof: laptop }, home);
  assert.equal(known.errors, undefined, JSON.stringify(known.errors));
  assert.equal(known.data!.logIn.user.id, signUp.data!.signUp.user.id);

  // A thief with the phone's proof gets the phone's 3 failures, then the phone is locked; the laptop is not.
  for (let i = 0; i < 3; i++) assert.equal(codeOf(await call(LOG_IN_ON_DEVICE, { email, password: `thief-${i}-pw`, deviceProof: phone }, { clientAddress: `192.0.2.${i}` })), "UNAUTHENTICATED");
  assert.equal(codeOf(await call(LOG_IN_ON_DEVICE, { email, password: "password-owner", deviceProof: phone }, home)), "RATE_LIMITED");
  const again = await call(LOG_IN_ON_DEVICE, { email, password: "password-owner", deviceProof: known.data!.logIn.deviceProof }, home);
  assert.equal(again.errors, undefined, JSON.stringify(again.errors));
}

const DEVICE_BUDGETS = { LOGIN_FAILURES_PER_ACCOUNT_ALL_NETWORKS: "10", LOGIN_FAILURES_PER_DEVICE: "3" };

describe("accounts subgraph API: known devices against a lockout", () => {
  let subject: Awaited<ReturnType<typeof startAccounts>>;
  before(async () => {
    subject = await startAccounts(DEVICE_BUDGETS);
  });
  after(() => subject.close());

  it("signs the customer's known devices in past a lockout from many networks, each until its own failures lock it", async () => {
    await knownDevicesOutlastALockout(subject.call, "device-owner@example.com");
  });
});

describe("accounts subgraph API with RS256 tokens", () => {
  let running: Awaited<ReturnType<typeof startAccounts>>;
  let accounts: RunningAccounts;
  before(async () => {
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    running = await startAccounts({ JWT_PRIVATE_KEY: privateKey.export({ type: "pkcs8", format: "pem" }).toString() });
    accounts = running.accounts;
  });
  after(() => running.close());

  it("publishes only the public key at /.well-known/jwks.json, without asking for a credential", async () => {
    assert.ok(accounts.jwksUrl?.endsWith("/.well-known/jwks.json"));
    const response = await fetch(accounts.jwksUrl!);
    assert.equal(response.status, 200);
    const { keys } = (await response.json()) as { keys: Record<string, string>[] };
    assert.equal(keys.length, 1);
    assert.deepEqual(Object.keys(keys[0]!).sort(), ["alg", "e", "kid", "kty", "n", "use"]);
    assert.equal(keys[0]!.alg, "RS256");
    assert.equal(keys[0]!.kty, "RSA");
  });

  it("signs access tokens with RS256 under the published key id", async () => {
    const result = await running.call(SIGN_UP, { input: { email: "rs@example.com", password: "password-ok", name: "Rs" } });
    const header = JSON.parse(Buffer.from(result.data!.signUp.accessToken.split(".")[0], "base64url").toString());
    const { keys } = (await (await fetch(accounts.jwksUrl!)).json()) as { keys: { kid: string }[] };
    assert.deepEqual(header, { alg: "RS256", kid: keys[0]!.kid });
  });
});

describeWithRealEngine({ suite: "accounts subgraph API, email keys", engine: "mysql", variable: "MYSQL_URL" }, (baseUrl) => {
  describe("accounts subgraph API on MySQL: one email key, one account", { timeout: 60_000 }, () => {
    let database: Awaited<ReturnType<typeof createMysqlTestDatabase>>;
    let subject: Awaited<ReturnType<typeof startAccounts>>;
    let devices: Awaited<ReturnType<typeof startAccounts>>;
    before(async () => {
      database = await createMysqlTestDatabase(baseUrl);
      subject = await startAccounts({}, { store: await PrismaUserStore.connect(database.url) });
      devices = await startAccounts(DEVICE_BUDGETS, { store: await PrismaUserStore.connect(database.url) });
    });
    after(async () => {
      await devices?.close();
      await subject?.close();
      await database?.drop();
    });

    it("keeps at most MAX_ADDRESSES_PER_USER addresses when adds race at the cap", async () => {
      await raceAddsAtTheAddressCap(subject.call, "address-cap@example.com");
    });

    it("keeps one address for twenty identical adds at once, and for the same address in other case and spacing", async () => {
      await raceIdenticalAdds(subject.call, "address-twins@example.com");
    });

    it("signs the customer's known devices in past a lockout from many networks, each until its own failures lock it", async () => {
      await knownDevicesOutlastALockout(devices.call, "device-owner@example.com");
    });

    it("answers racing refreshes of a token with one successor and ends nothing, and signs out whatever refresh races the log-out", async () => {
      await raceRefreshesOfOneSession(subject.call, "refresh-race@example.com");
    });

    it("keeps jose@ and josé@ as two accounts whose failed log-ins never count against each other, and refuses a zero-width variant", async () => {
      const { call } = subject;
      const jose = await call(SIGN_UP, { input: { email: "jose@example.com", password: "password-jose", name: "Jose" } });
      const josé = await call(SIGN_UP, { input: { email: "jos\u00e9@example.com", password: "password-jos\u00e9", name: "Jos\u00e9" } });
      assert.equal(jose.errors, undefined, JSON.stringify(jose.errors));
      assert.equal(josé.errors, undefined, JSON.stringify(josé.errors));
      assert.notEqual(josé.data!.signUp.user.id, jose.data!.signUp.user.id);
      // Jose's password typed with josé@ is a failure on josé's account, not a way into jose's.
      assert.equal(codeOf(await call(LOG_IN, { email: "JOS\u00c9@example.com", password: "password-jose" })), "UNAUTHENTICATED");
      for (let i = 0; i < 4; i++) assert.equal(codeOf(await call(LOG_IN, { email: "jos\u00e9@example.com", password: `guess-${i}-pw` })), "UNAUTHENTICATED");
      assert.equal(codeOf(await call(LOG_IN, { email: "jos\u00e9@example.com", password: "password-jos\u00e9" })), "RATE_LIMITED");
      const mine = await call(LOG_IN, { email: "jose@example.com", password: "password-jose" });
      assert.equal(mine.data?.logIn.user.id, jose.data!.signUp.user.id, JSON.stringify(mine.errors));
      for (const variant of ["jo\u200bse@example.com", "jose\u200c@example.com", "\u202ejose@example.com"]) {
        assert.equal(codeOf(await call(SIGN_UP, { input: { email: variant, password: "password-x1", name: "X" } })), "BAD_USER_INPUT", JSON.stringify(variant));
        // Log-in takes any well-formed address (an account made under an earlier rule must still
        // sign in): a variant no account has finds none, and is no way into jose's.
        assert.equal(codeOf(await call(LOG_IN, { email: variant, password: "password-jose" })), "UNAUTHENTICATED", JSON.stringify(variant));
      }
    });
  });
});
