import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { describeWithRealEngine } from "#kernel/testing";
import { startTestSupergraph, type TestSupergraph } from "../support/start-test-supergraph.js";
import { createMysqlTestDatabase } from "../../subgraphs/accounts/test/support/mysql-test-database.js";

// The gateway's own budgets are not under test here: only the accounts throttle may refuse.
const GATEWAY_BUDGETS = { RATE_LIMIT_PER_MINUTE: "100000", RATE_LIMIT_AUTH_PER_MINUTE: "100000" };

const SESSION = `accessToken refreshToken expiresIn user { id email name roles }`;
const SIGN_UP = `mutation ($input: SignUpInput!) { signUp(input: $input) { ${SESSION} } }`;
const LOG_IN = `mutation ($email: String!, $password: String!) { logIn(email: $email, password: $password) { ${SESSION} } }`;
const REFRESH = `mutation ($token: String!) { refreshToken(refreshToken: $token) { ${SESSION} } }`;
const LOG_OUT = `mutation ($token: String!) { logOut(refreshToken: $token) }`;
const ME = `{ me { id email name roles addresses { id city isDefault } defaultAddress { id } } }`;
const ADDRESS = `id recipientName line1 line2 city postalCode country isDefault`;

const codeOf = (response: { errors?: { extensions?: Record<string, any> }[] }) => response.errors?.[0]?.extensions?.code;

/** Every scenario, against the store `env` selects (embedded when it names no MYSQL_URL). */
function defineAccountScenarios(engine: string, env: () => Promise<Record<string, string>>) {
  describe(`accounts through the gateway [${engine}]`, { timeout: 120_000 }, () => {
    let supergraph: TestSupergraph;
    before(async () => {
      supergraph = await startTestSupergraph({ env: { ...GATEWAY_BUDGETS, ...(await env()) } });
    });
    after(() => supergraph?.close());

    const email = (name: string) => `${name}-${randomUUID().slice(0, 8)}@example.com`;
    async function signUp(name: string, password = `pw-${name}-123`) {
      const response = await supergraph.query(SIGN_UP, { input: { email: email(name), password, name } });
      assert.equal(response.errors, undefined, JSON.stringify(response.errors));
      return { ...response.data!.signUp, password };
    }

    it("signs up and the access token works at the gateway (me)", async () => {
      const session = await signUp("ann");
      assert.ok(session.expiresIn > 0 && session.expiresIn <= 900);
      const me = await supergraph.query(ME, {}, session.accessToken);
      assert.deepEqual(me.data?.me, { id: session.user.id, email: session.user.email, name: "ann", roles: ["CUSTOMER"], addresses: [], defaultAddress: null });
      assert.deepEqual((await supergraph.query(ME)).data?.me, null, "anonymous callers have no me");
    });

    it("refuses a duplicate email in another letter case with CONFLICT", async () => {
      const address = email("bob");
      assert.equal(codeOf(await supergraph.query(SIGN_UP, { input: { email: address, password: "password-bob", name: "Bob" } })), undefined);
      const duplicate = await supergraph.query(SIGN_UP, { input: { email: address.toUpperCase(), password: "password-bob2", name: "Bob" } });
      assert.equal(codeOf(duplicate), "CONFLICT");
    });

    it("refuses a wrong password with UNAUTHENTICATED, worded exactly as for an unknown email", async () => {
      const cid = await signUp("cid");
      const wrong = await supergraph.query(LOG_IN, { email: cid.user.email, password: "not-the-password" });
      const unknown = await supergraph.query(LOG_IN, { email: email("nobody"), password: cid.password });
      assert.equal(codeOf(wrong), "UNAUTHENTICATED");
      assert.deepEqual(unknown.errors?.map((e) => [e.message, e.extensions]), wrong.errors?.map((e) => [e.message, e.extensions]));
      const right = await supergraph.query(LOG_IN, { email: cid.user.email.toUpperCase(), password: cid.password });
      assert.equal(right.data?.logIn.user.id, cid.user.id);
    });

    it("throttles a brute force on one account with RATE_LIMITED and a retry-after hint, while another user logs in", async () => {
      const [victim, bystander] = [await signUp("dee"), await signUp("eve")];
      for (let i = 0; i < 5; i++) assert.equal(codeOf(await supergraph.query(LOG_IN, { email: victim.user.email, password: `guess-${i}-pw` })), "UNAUTHENTICATED");
      const refused = await supergraph.query(LOG_IN, { email: victim.user.email, password: victim.password });
      assert.equal(codeOf(refused), "RATE_LIMITED");
      assert.match(refused.errors![0]!.message, /failed log-in attempts/);
      const retryAfter = refused.errors![0]!.extensions!.retryAfterSeconds;
      assert.ok(Number.isInteger(retryAfter) && retryAfter > 0 && retryAfter <= 900, `retryAfterSeconds ${retryAfter}`);
      const other = await supergraph.query(LOG_IN, { email: bystander.user.email, password: bystander.password });
      assert.equal(other.data?.logIn.user.id, bystander.user.id);
    });

    it("rotates refresh tokens, answers a replay with the same successor, and a reuse after the successor's use revokes the whole family", async () => {
      const fay = await signUp("fay");
      const second = await supergraph.query(REFRESH, { token: fay.refreshToken });
      const rotated = second.data!.refreshToken;
      assert.notEqual(rotated.refreshToken, fay.refreshToken);
      assert.equal((await supergraph.query(ME, {}, rotated.accessToken)).data?.me.id, fay.user.id);
      // A second tab, or a retry of a refresh whose answer was lost: the same successor.
      const replayed = await supergraph.query(REFRESH, { token: fay.refreshToken });
      assert.equal(replayed.data?.refreshToken.refreshToken, rotated.refreshToken);
      const third = (await supergraph.query(REFRESH, { token: rotated.refreshToken })).data!.refreshToken;
      assert.equal(codeOf(await supergraph.query(REFRESH, { token: fay.refreshToken })), "UNAUTHENTICATED", "the old token is refused once its successor was used");
      assert.equal(codeOf(await supergraph.query(REFRESH, { token: third.refreshToken })), "UNAUTHENTICATED", "and its family with it");
      assert.equal(codeOf(await supergraph.query(ME, {}, third.accessToken)), "UNAUTHENTICATED", "its access tokens too");
    });

    it("logs out: the refresh token is revoked", async () => {
      const gus = await signUp("gus");
      assert.equal((await supergraph.query(LOG_OUT, { token: gus.refreshToken })).data?.logOut, true);
      assert.equal(codeOf(await supergraph.query(REFRESH, { token: gus.refreshToken })), "UNAUTHENTICATED");
      const again = await supergraph.query(LOG_IN, { email: gus.user.email, password: gus.password });
      assert.ok(again.data?.logIn.refreshToken, "logging in again starts a new session");
    });

    it("keeps each user's address book: add, update, default, remove", async () => {
      const hal = await signUp("hal");
      const add = (input: Record<string, unknown>) => supergraph.query(`mutation ($input: AddressInput!) { addAddress(input: $input) { ${ADDRESS} } }`, { input }, hal.accessToken);
      const home = (await add({ recipientName: "Hal", line1: "Home Street 1", city: "Berlin", postalCode: "10115", country: "de" })).data!.addAddress;
      const work = (await add({ recipientName: "Hal", line1: "Office Park 9", line2: "Floor 3", city: "Hamburg", postalCode: "20095", country: "DE" })).data!.addAddress;
      assert.deepEqual([home.isDefault, work.isDefault, home.country], [true, false, "DE"]);

      const updated = await supergraph.query(`mutation ($id: ID!) { updateAddress(id: $id, input: { line2: null, city: "Altona" }) { ${ADDRESS} } }`, { id: work.id }, hal.accessToken);
      assert.deepEqual(updated.data?.updateAddress, { ...work, line2: null, city: "Altona" });
      const made = await supergraph.query(`mutation ($id: ID!) { setDefaultAddress(id: $id) { id isDefault } }`, { id: work.id }, hal.accessToken);
      assert.deepEqual(made.data?.setDefaultAddress, { id: work.id, isDefault: true });
      let me = (await supergraph.query(ME, {}, hal.accessToken)).data!.me;
      assert.deepEqual(me.addresses, [{ id: home.id, city: "Berlin", isDefault: false }, { id: work.id, city: "Altona", isDefault: true }]);
      assert.deepEqual(me.defaultAddress, { id: work.id });

      const removed = await supergraph.query(`mutation ($id: ID!) { removeAddress(id: $id) }`, { id: work.id }, hal.accessToken);
      assert.equal(removed.data?.removeAddress, work.id);
      me = (await supergraph.query(ME, {}, hal.accessToken)).data!.me;
      assert.deepEqual([me.addresses.map((a: { id: string }) => a.id), me.defaultAddress], [[home.id], null]);

      const invalid = await add({ recipientName: "Hal", line1: "x", city: "y", postalCode: "1", country: "Germany" });
      assert.equal(codeOf(invalid), "BAD_USER_INPUT");
      const anonymous = await supergraph.query(`mutation { addAddress(input: { recipientName: "A", line1: "B", city: "C", postalCode: "1", country: "DE" }) { id } }`);
      assert.equal(codeOf(anonymous), "UNAUTHENTICATED");
    });

    it("answers other users' address ids exactly like ids that do not exist (NOT_FOUND), changing nothing", async () => {
      const [owner, intruder] = [await signUp("ivy"), await signUp("jon")];
      const mine = await supergraph.query(`mutation { addAddress(input: { recipientName: "Ivy", line1: "Ivy Lane 1", city: "Paris", postalCode: "75001", country: "FR" }) { ${ADDRESS} } }`, {}, owner.accessToken);
      const ownersAddress = mine.data!.addAddress;
      const nonexistent = `adr_${randomUUID().replaceAll("-", "").slice(0, 24)}`;
      const attempts = {
        update: `mutation ($id: ID!) { updateAddress(id: $id, input: { city: "Stolen" }) { id } }`,
        setDefault: `mutation ($id: ID!) { setDefaultAddress(id: $id) { id } }`,
        remove: `mutation ($id: ID!) { removeAddress(id: $id) }`,
      };
      for (const [name, mutation] of Object.entries(attempts)) {
        const theirs = await supergraph.query(mutation, { id: ownersAddress.id }, intruder.accessToken);
        const none = await supergraph.query(mutation, { id: nonexistent }, intruder.accessToken);
        assert.equal(codeOf(theirs), "NOT_FOUND", name);
        // Same answer in every respect but the id the caller sent.
        const shape = (r: typeof theirs, id: string) => JSON.stringify(r.errors).replaceAll(id, "<id>");
        assert.equal(shape(theirs, ownersAddress.id), shape(none, nonexistent), name);
        assert.equal(theirs.data, none.data, name);
      }
      const intruderMe = (await supergraph.query(ME, {}, intruder.accessToken)).data!.me;
      assert.deepEqual([intruderMe.addresses, intruderMe.defaultAddress], [[], null]);
      const ownerMe = (await supergraph.query(`{ me { addresses { ${ADDRESS} } } }`, {}, owner.accessToken)).data!.me;
      assert.deepEqual(ownerMe.addresses, [ownersAddress], "the owner's address is untouched");
    });
  });
}

defineAccountScenarios("embedded", async () => ({}));

describeWithRealEngine({ suite: "accounts through the gateway", engine: "mysql", variable: "MYSQL_URL" }, (url) => {
  let database: Awaited<ReturnType<typeof createMysqlTestDatabase>> | undefined;
  after(async () => database?.drop());
  defineAccountScenarios("mysql", async () => {
    database = await createMysqlTestDatabase(url);
    return { MYSQL_URL: database.url };
  });
});
