import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { ACCOUNT_MAIL_SEAL, AccountMailEventTypes, openSealedSecret, Topics, type AccountMailRequestedPayload, type DomainEvent, type Identity } from "#kernel";
import { describeWithRealEngine, engineSuiteTitle, waitFor } from "#kernel/testing";
import { createMysqlTestDatabase } from "../support/mysql-test-database.js";
import { startAccounts } from "../support/start-accounts.js";

const SIGN_UP = `mutation ($input: SignUpInput!) { signUp(input: $input) { refreshToken user { id email emailVerified } } }`;
const LOG_IN = `mutation ($email: String!, $password: String!) { logIn(email: $email, password: $password) { user { id } } }`;
const REFRESH = `mutation ($token: String!) { refreshToken(refreshToken: $token) { refreshToken } }`;
const REQUEST_RESET = `mutation ($email: String!) { requestPasswordReset(email: $email) }`;
const RESET = `mutation ($token: String!, $password: String!) { resetPassword(token: $token, newPassword: $password) }`;
const VERIFY = `mutation ($token: String!) { verifyEmail(token: $token) }`;
const RESEND = `mutation { resendVerificationEmail }`;
const ME = `{ me { id emailVerified } }`;

const codeOf = (answer: { errors?: { extensions?: Record<string, any> }[] }) => answer.errors?.[0]?.extensions?.code;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** Every API scenario of account mail against the store `env` selects (embedded without MYSQL_URL). */
function defineAccountMailScenarios(engine: string, env: () => Promise<Record<string, string>>) {
  describe(engineSuiteTitle("account mail API", engine), { timeout: 120_000 }, () => {
    let subject: Awaited<ReturnType<typeof startAccounts>>;
    const mailed: DomainEvent<AccountMailRequestedPayload>[] = [];

    before(async () => {
      // Budgets large enough for the scenarios; the throttle scenario spends a small one of its own address.
      // Every request mails (no repeat window): the scenarios count what the budgets let through.
      subject = await startAccounts({ ACCOUNT_MAIL_PER_ACCOUNT: "3", ACCOUNT_MAIL_PER_ACCOUNT_ALL_NETWORKS: "7", ACCOUNT_MAIL_PER_ADDRESS: "1000", ACCOUNT_MAIL_REPEAT_WINDOW_SECONDS: "0", ...(await env()) });
      await subject.bus.subscribe({ topic: Topics.accountMail, group: "mail-observer", handle: async (event) => void mailed.push(event as DomainEvent<AccountMailRequestedPayload>) });
    });
    after(() => subject?.close());

    const email = (name: string) => `${name}-${randomUUID().slice(0, 8)}@example.com`;
    async function signUp(name: string, password = "first-password-1") {
      const answer = await subject.call(SIGN_UP, { input: { email: email(name), password, name } });
      assert.equal(answer.errors, undefined, JSON.stringify(answer.errors));
      const session = answer.data!.signUp;
      return { ...session, identity: { userId: session.user.id, roles: ["customer"] } as Identity, password };
    }
    /** The token of the latest mail of this kind for the user, opened as the notification service opens it. */
    async function mailedToken(userId: string, type: string, after = 0): Promise<string> {
      await waitFor(`a ${type} mail for ${userId}`, () => mailed.filter((e) => e.payload.userId === userId && e.type === type).length > after);
      const event = mailed.filter((e) => e.payload.userId === userId && e.type === type).at(-1)!;
      return openSealedSecret(subject.config.auth.internalSecret, ACCOUNT_MAIL_SEAL, event.payload.sealedToken)!;
    }
    const mailsFor = (userId: string, type: string) => mailed.filter((e) => e.payload.userId === userId && e.type === type).length;

    it("resets a password by the mailed link: the new password logs in, the old one and the old refresh token do not, the link works once (sent again with its password, it answers alike)", async () => {
      const ann = await signUp("ann");
      assert.deepEqual((await subject.call(REQUEST_RESET, { email: ann.user.email.toUpperCase() })).data, { requestPasswordReset: true });
      const token = await mailedToken(ann.user.id, AccountMailEventTypes.passwordResetRequested);
      const sealed = mailed.find((e) => e.payload.userId === ann.user.id && e.type === AccountMailEventTypes.passwordResetRequested)!;
      assert.ok(!JSON.stringify(sealed).includes(token), "the event carries the token sealed only");
      assert.equal(sealed.key, ann.user.id);

      assert.deepEqual((await subject.call(RESET, { token, password: "second-password-2" })).data, { resetPassword: true });
      assert.equal((await subject.call(LOG_IN, { email: ann.user.email, password: "second-password-2" })).data?.logIn.user.id, ann.user.id);
      assert.equal(codeOf(await subject.call(LOG_IN, { email: ann.user.email, password: ann.password })), "UNAUTHENTICATED");
      assert.equal(codeOf(await subject.call(REFRESH, { token: ann.refreshToken })), "UNAUTHENTICATED", "every session ended");
      assert.deepEqual((await subject.call(RESET, { token, password: "second-password-2" })).data, { resetPassword: true }, "sent again with its password (the answer lost): answered alike");
      const again = await subject.call(RESET, { token, password: "third-password-3" });
      assert.equal(codeOf(again), "INVALID_TOKEN");
      assert.equal((await subject.call(ME, {}, { identity: ann.identity })).data?.me.emailVerified, true, "the link reached the mailbox");
    });

    it("answers true and mails nothing for an email without an account", async () => {
      const before = mailed.length;
      assert.deepEqual((await subject.call(REQUEST_RESET, { email: email("nobody") })).data, { requestPasswordReset: true });
      await subject.accounts.mail.settled();
      assert.equal(mailed.length, before);
    });

    it("answers known and unknown emails in the same time (medians of 15 calls each)", async () => {
      const known = (await Promise.all([1, 2, 3, 4, 5].map((i) => signUp(`timing${i}`)))).map((s) => s.user.email as string);
      const timings = { known: [] as number[], unknown: [] as number[] };
      for (let i = 0; i < 15; i++) {
        // Each known email asked at most three times: within its budget.
        for (const [kind, address] of [["known", known[i % 5]!], ["unknown", email(`unknown${i}`)]] as const) {
          const started = performance.now();
          const answer = await subject.call(REQUEST_RESET, { email: address }, { clientAddress: "192.0.2.77" });
          timings[kind].push(performance.now() - started);
          assert.deepEqual(answer.data, { requestPasswordReset: true });
        }
      }
      await subject.accounts.mail.settled();
      const [a, b] = [median(timings.known), median(timings.unknown)];
      // The store work behind a known email (a look-up, an insert, a publish) happens after the answer.
      assert.ok(Math.abs(a - b) < 25, `medians known ${a.toFixed(2)} ms, unknown ${b.toFixed(2)} ms`);
    });

    it("lets exactly one of two concurrent resets with one token win", async () => {
      const bea = await signUp("bea");
      await subject.call(REQUEST_RESET, { email: bea.user.email });
      const token = await mailedToken(bea.user.id, AccountMailEventTypes.passwordResetRequested);
      const answers = await Promise.all(["racer-one-111", "racer-two-222"].map((password) => subject.call(RESET, { token, password })));
      const won = answers.map((a) => a.data?.resetPassword === true);
      assert.deepEqual(won.filter(Boolean).length, 1, JSON.stringify(answers));
      assert.equal(codeOf(answers[won.indexOf(false)]!), "INVALID_TOKEN");
      const winner = won[0] ? "racer-one-111" : "racer-two-222";
      assert.equal((await subject.call(LOG_IN, { email: bea.user.email, password: winner })).data?.logIn.user.id, bea.user.id);
    });

    it("refuses hostile input: a 10 KB email, control characters, malformed and oversized tokens, a weak password", async () => {
      const cid = await signUp("cid");
      for (const hostile of [`${"x".repeat(10_000)}@example.com`, `${cid.user.email}\r\nBcc: thief@evil.test`, `${cid.user.email}\u0000`, "@", ""]) {
        assert.equal(codeOf(await subject.call(REQUEST_RESET, { email: hostile })), "BAD_USER_INPUT", JSON.stringify(hostile.slice(0, 40)));
      }
      const invalid = await Promise.all(["", "x".repeat(10_000), "A".repeat(43), "../../../etc/passwd", "' OR 1=1 --", "ä".repeat(43)].map((token) => subject.call(RESET, { token, password: "valid-password-1" })));
      for (const answer of invalid) assert.deepEqual([codeOf(answer), answer.errors?.[0]?.message], [codeOf(invalid[0]!), invalid[0]!.errors?.[0]?.message]);
      assert.equal(codeOf(invalid[0]!), "INVALID_TOKEN");
      await subject.call(REQUEST_RESET, { email: cid.user.email });
      const token = await mailedToken(cid.user.id, AccountMailEventTypes.passwordResetRequested);
      assert.equal(codeOf(await subject.call(RESET, { token, password: "short" })), "BAD_USER_INPUT");
      assert.equal((await subject.call(RESET, { token, password: "long-enough-pw" })).data?.resetPassword, true, "a refused password leaves the link working");
      assert.equal(mailed.filter((e) => JSON.stringify(e).includes("thief")).length, 0);
    });

    it("throttles a burst of requests for one email with RATE_LIMITED and a retry hint, and the refused ones mail nothing", async () => {
      const dee = await signUp("dee");
      const burst = await Promise.all(Array.from({ length: 6 }, () => subject.call(REQUEST_RESET, { email: dee.user.email }, { clientAddress: "198.51.100.40" })));
      assert.equal(burst.filter((a) => a.data?.requestPasswordReset === true).length, 3);
      const refused = burst.find((a) => codeOf(a) === "RATE_LIMITED")!;
      assert.ok(refused.errors![0]!.extensions!.retryAfterSeconds > 0);
      await subject.accounts.mail.settled();
      assert.equal(mailsFor(dee.user.id, AccountMailEventTypes.passwordResetRequested), 3, "refused requests mail nothing");
    });

    it("leaves a customer's own network its reset budget when a stranger spent the email's from theirs, up to the email's ceiling", async () => {
      const fay = await signUp("fay");
      const ask = (clientAddress: string) => subject.call(REQUEST_RESET, { email: fay.user.email }, { clientAddress });
      const stranger = await Promise.all(Array.from({ length: 4 }, () => ask("198.51.100.60")));
      assert.equal(stranger.filter((a) => a.data?.requestPasswordReset === true).length, 3, "the stranger's network has the email's budget of 3");
      assert.equal(codeOf(stranger.find((a) => !a.data)!), "RATE_LIMITED");
      assert.deepEqual((await ask("203.0.113.61")).data, { requestPasswordReset: true }, "the owner's network is not refused");
      await subject.accounts.mail.settled();
      assert.equal(mailsFor(fay.user.id, AccountMailEventTypes.passwordResetRequested), 4, "the owner's request mailed a link");
      // Spread over networks, the email's ceiling (7) bounds what the mailbox receives.
      const spread = await Promise.all(["192.0.2.62", "192.0.2.63", "192.0.2.64", "192.0.2.65"].map(ask));
      assert.equal(spread.filter((a) => a.data?.requestPasswordReset === true).length, 3);
      assert.equal(codeOf(await ask("192.0.2.66")), "RATE_LIMITED");
      await subject.accounts.mail.settled();
      assert.equal(mailsFor(fay.user.id, AccountMailEventTypes.passwordResetRequested), 7);
    });

    it("verifies the email with the link mailed at sign-up, and answers it opened again alike; resends only while unverified and only for a signed-in user", async () => {
      const eve = await signUp("eve");
      assert.equal(eve.user.emailVerified, false);
      const token = await mailedToken(eve.user.id, AccountMailEventTypes.emailVerificationRequested);
      assert.equal(codeOf(await subject.call(RESEND)), "UNAUTHENTICATED");
      assert.deepEqual((await subject.call(RESEND, {}, { identity: eve.identity })).data, { resendVerificationEmail: true });
      const second = await mailedToken(eve.user.id, AccountMailEventTypes.emailVerificationRequested, 1);
      assert.notEqual(second, token);
      assert.deepEqual((await subject.call(VERIFY, { token })).data, { verifyEmail: true });
      assert.deepEqual((await subject.call(VERIFY, { token })).data, { verifyEmail: true }, "the link opened again (a reload, a retry after a lost answer) answers as the first time");
      assert.equal((await subject.call(ME, {}, { identity: eve.identity })).data?.me.emailVerified, true);
      assert.deepEqual((await subject.call(RESEND, {}, { identity: eve.identity })).data, { resendVerificationEmail: false });
      assert.equal(codeOf(await subject.call(VERIFY, { token: "x".repeat(10_000) })), "INVALID_TOKEN");
    });
  });
}

defineAccountMailScenarios("embedded", async () => ({}));

describeWithRealEngine({ suite: "account mail API", engine: "mysql", variable: "MYSQL_URL" }, (url) => {
  let database: Awaited<ReturnType<typeof createMysqlTestDatabase>> | undefined;
  after(async () => database?.drop());
  defineAccountMailScenarios("mysql", async () => {
    database = await createMysqlTestDatabase(url);
    return { MYSQL_URL: database.url };
  });
});
