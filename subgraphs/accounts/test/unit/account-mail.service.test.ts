import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { after, describe, it } from "node:test";
import { createAccessTokenIssuer, createLogger, DomainError, ErrorCode } from "#kernel";
import { EmbeddedUserStore } from "../../src/adapters/embedded-user-store.js";
import { createLoginThrottle } from "../../src/adapters/rate-limiter-login-throttle.js";
import { createAccountService } from "../../src/domain/account.service.js";
import { createAccountMailService } from "../../src/domain/account-mail.service.js";
import { SIGN_UP_REPEAT_WINDOW_MS } from "../../src/domain/sign-up-repeat.js";
import { hashAccountToken, newAccountToken } from "../../src/domain/account-token.js";
import type { AccountMailRequest } from "../../src/ports/account-mailer.js";
import { failure } from "../support/domain-failure.js";

const FAST_SCRYPT = { N: 2 ** 10, r: 8, p: 1 };
/** The repeat window the service is set up with (ACCOUNT_MAIL_REPEAT_WINDOW_SECONDS' default). */
const ACCOUNT_MAIL_REPEAT_WINDOW_MS = 60_000;
const scratch = mkdtempSync(join(tmpdir(), "account-mail-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

interface SetupOptions {
  perAccount?: number;
  perAddress?: number;
  /** How long handing a mail over takes (a slow broker). */
  mailerDelayMs?: number;
  /** The hand-over fails while this answers true (a broker outage). */
  mailerDown?: () => boolean;
  file?: string;
  endEverySession?: (userId: string) => Promise<void>;
  /** Each reading of the clock finds it a millisecond further on. */
  clockTicks?: boolean;
}

async function setup(options: SetupOptions = {}) {
  const store = await EmbeddedUserStore.open(options.file);
  let now = new Date("2026-03-01T10:00:00.000Z");
  const clock = () => {
    const reading = now;
    if (options.clockTicks) now = new Date(now.getTime() + 1);
    return reading;
  };
  const sent: AccountMailRequest[] = [];
  const loginThrottle = createLoginThrottle({ failuresPerAccount: 5, failuresPerAddress: 50, windowSeconds: 900 });
  const mail = createAccountMailService({
    store,
    mailer: {
      async send(request) {
        if (options.mailerDelayMs) await delay(options.mailerDelayMs);
        if (options.mailerDown?.()) throw new Error("broker unavailable");
        sent.push(request);
      },
    },
    throttle: createLoginThrottle({ failuresPerAccount: options.perAccount ?? 1000, failuresPerAddress: options.perAddress ?? 1000, windowSeconds: 3600 }),
    loginThrottle,
    logger: createLogger("silent"),
    passwordResetTtlMinutes: 30,
    emailVerificationTtlHours: 48,
    repeatWindowSeconds: ACCOUNT_MAIL_REPEAT_WINDOW_MS / 1000,
    clock,
    hashing: FAST_SCRYPT,
    endEverySession: options.endEverySession,
  });
  const accounts = createAccountService({
    store,
    throttle: loginThrottle,
    tokens: createAccessTokenIssuer({ issuer: "t", secret: "unit-test-secret-0123456789-0123456789", ttlSeconds: 900 }),
    refreshTokenTtlSeconds: 3600,
    logger: createLogger("silent"),
    clock,
    hashing: FAST_SCRYPT,
    onSignedUp: (user) => mail.mailVerification(user.id),
    onSignUpWithTakenEmail: (email, clientAddress) => mail.noticeSignUpWithTakenEmail(email, clientAddress),
  });
  const signUp = async (email: string, password = "old-password-1") => {
    const session = await accounts.signUp({ email, password, name: "Ann" });
    await mail.settled();
    return session;
  };
  /** The reset link mailed for `userId` by the last request. */
  const lastToken = (userId: string, purpose: AccountMailRequest["purpose"]) => sent.filter((r) => r.userId === userId && r.purpose === purpose).at(-1)?.token;
  return { store, mail, accounts, sent, signUp, lastToken, advance: (ms: number) => void (now = new Date(now.getTime() + ms)), setNow: (moment: Date) => void (now = moment) };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

describe("account mail: password reset", () => {
  it("mails a link for the account an email names, in any letter case, and stores only the token's hash", async () => {
    const file = join(scratch, "hash-only", "users.json");
    const { mail, sent, signUp, lastToken, store } = await setup({ file });
    const ann = await signUp("Ann@Example.com");
    assert.equal(await mail.requestPasswordReset("  ann@EXAMPLE.com "), true);
    await mail.settled();
    const token = lastToken(ann.user.id, "PASSWORD_RESET");
    assert.ok(token && /^[A-Za-z0-9_-]{43}$/.test(token), "256 random bits, base64url");
    const reset = sent.find((r) => r.purpose === "PASSWORD_RESET")!;
    assert.equal(reset.expiresAt.toISOString(), "2026-03-01T10:30:00.000Z", "PASSWORD_RESET_TTL_MINUTES from now");
    await store.close();
    const kept = readFileSync(file, "utf8");
    assert.ok(!kept.includes(token), "the token itself is stored nowhere");
    assert.ok(kept.includes(hashAccountToken(token)), "its hash is");
  });

  it("answers true for an email without an account, and mails and stores nothing", async () => {
    const { mail, sent } = await setup();
    assert.equal(await mail.requestPasswordReset("nobody@example.com"), true);
    await mail.settled();
    assert.deepEqual(sent, []);
  });

  it("answers in the same time whether or not the account exists, though the work behind it takes long", async () => {
    // A slow hand-over (80 ms): had the answer waited for it, known emails would answer 80 ms later.
    const { mail, signUp } = await setup({ mailerDelayMs: 80 });
    const known = (await signUp("timing@example.com")).user.email;
    const timings = { known: [] as number[], unknown: [] as number[] };
    for (let i = 0; i < 21; i++) {
      for (const [kind, email] of [["known", known], ["unknown", `nobody-${i}@example.com`]] as const) {
        const started = performance.now();
        await mail.requestPasswordReset(email);
        timings[kind].push(performance.now() - started);
      }
    }
    await mail.settled();
    const gap = Math.abs(median(timings.known) - median(timings.unknown));
    assert.ok(gap < 40, `medians ${median(timings.known).toFixed(2)} ms vs ${median(timings.unknown).toFixed(2)} ms`);
    assert.ok(median(timings.known) < 40, `a known email answers before the 80 ms hand-over (median ${median(timings.known).toFixed(2)} ms)`);
  });

  it("resets the password once: the new one logs in, the old one and every session stop working", async () => {
    const { mail, accounts, signUp, lastToken } = await setup();
    const ann = await signUp("reset@example.com");
    const other = await accounts.logIn("reset@example.com", "old-password-1");
    await mail.requestPasswordReset("reset@example.com");
    await mail.settled();
    const token = lastToken(ann.user.id, "PASSWORD_RESET")!;
    assert.equal(await mail.resetPassword(token, "brand-new-password"), true);
    assert.equal((await accounts.logIn("reset@example.com", "brand-new-password")).user.id, ann.user.id);
    assert.equal((await failure(accounts.logIn("reset@example.com", "old-password-1"))).code, ErrorCode.UNAUTHENTICATED);
    for (const session of [ann, other]) assert.equal((await failure(accounts.refresh(session.refreshToken))).code, ErrorCode.UNAUTHENTICATED);
    const used = await failure(mail.resetPassword(token, "third-password-9"));
    assert.equal(used.code, ErrorCode.INVALID_TOKEN);
    assert.equal((await accounts.findByIds([ann.user.id])).get(ann.user.id)?.emailVerifiedAt !== null, true, "the link reached the mailbox: verified");
  });

  it("has ended every session when the end after the change cannot be recorded, though the used link cannot be retried", async () => {
    const ended: string[] = [];
    let endsLeft = 1;
    const { mail, accounts, signUp, lastToken } = await setup({
      endEverySession: async (userId) => {
        if (endsLeft-- <= 0) throw new Error("key-value store unavailable");
        ended.push(userId);
      },
    });
    const ann = await signUp("reset-store-down@example.com");
    await mail.requestPasswordReset("reset-store-down@example.com");
    await mail.settled();
    await assert.rejects(mail.resetPassword(lastToken(ann.user.id, "PASSWORD_RESET")!, "brand-new-password"), /key-value store unavailable/);
    assert.deepEqual(ended, [ann.user.id], "the sessions from before the reset are ended all the same");
    assert.equal((await failure(accounts.refresh(ann.refreshToken))).code, ErrorCode.UNAUTHENTICATED);
  });

  it("resets with a link in its last millisecond though the clock turns during the reset", async () => {
    const ended: string[] = [];
    const { mail, store, signUp, lastToken, setNow } = await setup({ clockTicks: true, endEverySession: async (userId) => void ended.push(userId) });
    const ann = await signUp("reset-last-moment@example.com");
    await mail.requestPasswordReset("reset-last-moment@example.com");
    await mail.settled();
    const token = lastToken(ann.user.id, "PASSWORD_RESET")!;
    const link = await store.findLiveAccountToken(hashAccountToken(token), "PASSWORD_RESET", new Date(0));
    setNow(new Date(link!.expiresAt.getTime() - 1));
    assert.equal(await mail.resetPassword(token, "brand-new-password"), true);
    assert.deepEqual(ended, [ann.user.id, ann.user.id]);
  });

  it("lets an owner locked out by failed log-ins in again once they reset the password", async () => {
    const { mail, accounts, signUp, lastToken } = await setup();
    const ann = await signUp("locked@example.com");
    for (let i = 0; i < 5; i++) await failure(accounts.logIn("locked@example.com", `guess-${i}-wrong`));
    assert.equal((await failure(accounts.logIn("locked@example.com", "old-password-1"))).code, ErrorCode.RATE_LIMITED);
    await mail.requestPasswordReset("locked@example.com");
    await mail.settled();
    await mail.resetPassword(lastToken(ann.user.id, "PASSWORD_RESET")!, "fresh-password-1");
    assert.equal((await accounts.logIn("locked@example.com", "fresh-password-1")).user.id, ann.user.id);
  });

  it("answers an unknown, used, expired or malformed token alike with INVALID_TOKEN", async () => {
    const { mail, signUp, lastToken, advance } = await setup();
    const ann = await signUp("expiry@example.com");
    await mail.requestPasswordReset("expiry@example.com");
    await mail.settled();
    const token = lastToken(ann.user.id, "PASSWORD_RESET")!;
    advance(30 * 60_000);
    const answers = await Promise.all(
      [token, "A".repeat(43), "", "x".repeat(10_000), `${token}\u0000`, lastToken(ann.user.id, "EMAIL_VERIFICATION")!, "../../etc/passwd"].map((t) => failure(mail.resetPassword(t, "new-password-1"))),
    );
    for (const answer of answers) assert.deepEqual([answer.code, answer.message], [ErrorCode.INVALID_TOKEN, answers[0]!.message]);
  });

  it("checks the new password like sign-up before it uses the token, which then still works", async () => {
    const { mail, signUp, lastToken } = await setup();
    const ann = await signUp("weak@example.com");
    await mail.requestPasswordReset("weak@example.com");
    await mail.settled();
    const token = lastToken(ann.user.id, "PASSWORD_RESET")!;
    for (const weak of ["short", "p".repeat(129), " ".repeat(12)]) assert.equal((await failure(mail.resetPassword(token, weak))).code, ErrorCode.BAD_USER_INPUT);
    assert.equal(await mail.resetPassword(token, "long-enough-now"), true);
  });

  it("lets one of two resets racing with one token win; the other gets INVALID_TOKEN", async () => {
    const { mail, accounts, signUp, lastToken } = await setup();
    const ann = await signUp("race@example.com");
    await mail.requestPasswordReset("race@example.com");
    await mail.settled();
    const token = lastToken(ann.user.id, "PASSWORD_RESET")!;
    const results = await Promise.allSettled([mail.resetPassword(token, "first-password-1"), mail.resetPassword(token, "second-password-2")]);
    assert.deepEqual(results.map((r) => r.status).sort(), ["fulfilled", "rejected"]);
    const loser = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
    assert.equal((loser.reason as DomainError).code, ErrorCode.INVALID_TOKEN);
    const winner = results[0]!.status === "fulfilled" ? "first-password-1" : "second-password-2";
    assert.equal((await accounts.logIn("race@example.com", winner)).user.id, ann.user.id);
  });

  it("answers a reset sent again with the password it set (its answer lost, a double click) true again, ending no session begun since", async () => {
    const { mail, accounts, signUp, lastToken, advance } = await setup();
    const ann = await signUp("reset-again@example.com");
    await mail.requestPasswordReset("reset-again@example.com");
    await mail.settled();
    const token = lastToken(ann.user.id, "PASSWORD_RESET")!;
    assert.deepEqual(await Promise.all([mail.resetPassword(token, "brand-new-password"), mail.resetPassword(token, "brand-new-password")]), [true, true], "a double click");
    const signedIn = await accounts.logIn("reset-again@example.com", "brand-new-password");
    advance(60_000);
    assert.equal(await mail.resetPassword(token, "brand-new-password"), true, "the answer lost, asked again");
    assert.ok(await accounts.refresh(signedIn.refreshToken), "the session begun after the reset goes on");
    advance(30 * 60_000);
    assert.equal((await failure(mail.resetPassword(token, "brand-new-password"))).code, ErrorCode.INVALID_TOKEN, "past its lifetime, a used link is no answer");
  });

  it("refuses a used reset link with another password, each a failed log-in: a used link guesses the password set with it no faster than log-in", async () => {
    const { mail, accounts, signUp, lastToken } = await setup();
    const ann = await signUp("reset-guess@example.com");
    await mail.requestPasswordReset("reset-guess@example.com");
    await mail.settled();
    const token = lastToken(ann.user.id, "PASSWORD_RESET")!;
    assert.equal(await mail.resetPassword(token, "the-real-password", "198.51.100.30"), true);
    const attacker = "203.0.113.30";
    for (let guess = 0; guess < 5; guess++) assert.equal((await failure(mail.resetPassword(token, `guess-number-${guess}`, attacker))).code, ErrorCode.INVALID_TOKEN);
    assert.equal((await failure(mail.resetPassword(token, "the-real-password", attacker))).code, ErrorCode.INVALID_TOKEN, "the right guess past the budget is told nothing");
    assert.equal((await failure(accounts.logIn("reset-guess@example.com", "the-real-password", attacker))).code, ErrorCode.RATE_LIMITED, "the guesses spent the log-in budget");
  });

  it("refuses hostile emails with BAD_USER_INPUT, and mails a look-alike only to the account it normalises to", async () => {
    const { mail, sent, signUp } = await setup();
    const ann = await signUp("ann@example.com");
    for (const hostile of [`${"a".repeat(10_000)}@example.com`, "ann@example.com\r\nBcc: thief@evil.test", "ann\u0000@example.com", "not-an-email"]) {
      assert.equal((await failure(mail.requestPasswordReset(hostile))).code, ErrorCode.BAD_USER_INPUT, JSON.stringify(hostile.slice(0, 40)));
    }
    // Fullwidth letters are the same email after NFKC; a Cyrillic "а" is another email.
    assert.equal(await mail.requestPasswordReset("\uff41nn@example.com"), true);
    assert.equal(await mail.requestPasswordReset("\u0430nn@example.com"), true);
    await mail.settled();
    assert.deepEqual(
      sent.filter((r) => r.purpose === "PASSWORD_RESET").map((r) => r.userId),
      [ann.user.id],
      "one link, for the account; the address comes from the account, never from the request",
    );
  });

  it("throttles per email and per client address, counting concurrent requests before any passes", async () => {
    const { mail } = await setup({ perAccount: 3, perAddress: 5 });
    const burst = await Promise.allSettled(Array.from({ length: 10 }, () => mail.requestPasswordReset("burst@example.com", "198.51.100.1")));
    assert.equal(burst.filter((r) => r.status === "fulfilled").length, 3);
    const refused = (burst.find((r) => r.status === "rejected") as PromiseRejectedResult).reason as DomainError;
    assert.equal(refused.code, ErrorCode.RATE_LIMITED);
    assert.ok(Number(refused.extensions.retryAfterSeconds) > 0);
    const spread = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => mail.requestPasswordReset(`spread-${i}@example.com`, "198.51.100.2")));
    assert.equal(spread.filter((r) => r.status === "fulfilled").length, 5, "one address, many emails");
    assert.equal(await mail.requestPasswordReset("spread-7@example.com", "198.51.100.3"), true, "another address is not held up");
    await mail.settled();
  });
});

describe("account mail: a sign-up with a taken email", () => {
  it("tells the owner, with a working reset link, within the email's reset budget", async () => {
    const { mail, accounts, sent, signUp, lastToken, advance } = await setup({ perAccount: 3 });
    const ann = await signUp("taken@example.com");
    advance(SIGN_UP_REPEAT_WINDOW_MS);
    for (let i = 0; i < 5; i++) {
      const error = await failure(accounts.signUp({ email: i % 2 ? "TAKEN@example.com " : "taken@example.com", password: `attacker-pw-${i}`, name: "Eve" }, "203.0.113.7"));
      assert.equal(error.code, ErrorCode.CONFLICT);
      await mail.settled();
      advance(ACCOUNT_MAIL_REPEAT_WINDOW_MS);
    }
    await mail.settled();
    const notices = sent.filter((r) => r.reason === "sign-up-with-taken-email");
    assert.equal(notices.length, 3, "the email's reset budget: sign-ups cannot flood the mailbox");
    assert.ok(notices.every((r) => r.userId === ann.user.id && r.purpose === "PASSWORD_RESET"));
    assert.equal(await mail.resetPassword(lastToken(ann.user.id, "PASSWORD_RESET")!, "new-password-1"), true, "the notice's link resets the password");
  });

  it("signs in the account's own sign-up clicked twice and mails nothing, nor for a second click with a mistyped password", async () => {
    const { mail, accounts, sent, signUp } = await setup();
    const first = await signUp("twice@example.com");
    assert.equal((await accounts.signUp({ email: "twice@example.com", password: "old-password-1", name: "Ann" })).user.id, first.user.id);
    assert.equal((await failure(accounts.signUp({ email: "twice@example.com", password: "old-password-2", name: "Ann" }))).code, ErrorCode.CONFLICT);
    await mail.settled();
    assert.equal(sent.filter((r) => r.reason).length, 0);
  });
});

describe("account mail: email verification", () => {
  it("mails a link at sign-up that verifies the email, within EMAIL_VERIFICATION_TTL_HOURS; the link opened twice at once, or again later, answers true each time", async () => {
    const { mail, accounts, sent, signUp, advance } = await setup();
    const ann = await signUp("verify@example.com");
    const link = sent.find((r) => r.userId === ann.user.id && r.purpose === "EMAIL_VERIFICATION")!;
    assert.equal(link.expiresAt.toISOString(), "2026-03-03T10:00:00.000Z");
    assert.equal((await accounts.findByIds([ann.user.id])).get(ann.user.id)?.emailVerifiedAt, null);
    const both = await Promise.all([mail.verifyEmail(link.token), mail.verifyEmail(link.token)]);
    assert.deepEqual(both, [true, true], "a double click: both answers say what happened");
    const verifiedAt = (await accounts.findByIds([ann.user.id])).get(ann.user.id)?.emailVerifiedAt;
    assert.ok(verifiedAt);
    advance(60_000);
    assert.equal(await mail.verifyEmail(link.token), true, "the page reloaded, or the answer lost and asked again");
    assert.deepEqual((await accounts.findByIds([ann.user.id])).get(ann.user.id)?.emailVerifiedAt, verifiedAt, "verified once");
    advance(48 * 3_600_000);
    assert.equal((await failure(mail.verifyEmail(link.token))).code, ErrorCode.INVALID_TOKEN, "past its lifetime, a used link is no answer");
  });

  it("refuses an expired verification link, and a reset link used to verify", async () => {
    const { mail, signUp, lastToken, advance } = await setup();
    const ann = await signUp("late@example.com");
    await mail.requestPasswordReset("late@example.com");
    await mail.settled();
    assert.equal((await failure(mail.verifyEmail(lastToken(ann.user.id, "PASSWORD_RESET")!))).code, ErrorCode.INVALID_TOKEN);
    advance(48 * 3_600_000);
    assert.equal((await failure(mail.verifyEmail(lastToken(ann.user.id, "EMAIL_VERIFICATION")!))).code, ErrorCode.INVALID_TOKEN);
  });

  it("resends a link while unverified, throttled, and answers false once verified", async () => {
    const { mail, sent, signUp, lastToken, advance } = await setup({ perAccount: 2 });
    const ann = await signUp("again@example.com");
    advance(ACCOUNT_MAIL_REPEAT_WINDOW_MS);
    assert.equal(await mail.resendVerification(ann.user.id, "203.0.113.9"), true);
    assert.equal(sent.filter((r) => r.purpose === "EMAIL_VERIFICATION").length, 2);
    advance(ACCOUNT_MAIL_REPEAT_WINDOW_MS);
    assert.equal(await mail.resendVerification(ann.user.id, "203.0.113.9"), true);
    assert.equal((await failure(mail.resendVerification(ann.user.id, "203.0.113.9"))).code, ErrorCode.RATE_LIMITED);
    await mail.verifyEmail(lastToken(ann.user.id, "EMAIL_VERIFICATION")!);
    assert.equal(await mail.resendVerification(ann.user.id, "203.0.113.9"), false);
  });
});

describe("account mail: a request repeated (a double click, two tabs, a resend after a lost answer)", () => {
  const MODES = [
    { name: "one after the other", twice: async <T>(ask: () => Promise<T>) => [await ask(), await ask()] },
    { name: "both at once", twice: <T>(ask: () => Promise<T>) => Promise.all([ask(), ask()]) },
  ];
  const mailsOf = (sent: AccountMailRequest[], userId: string, purpose: AccountMailRequest["purpose"]) => sent.filter((r) => r.userId === userId && r.purpose === purpose);

  for (const mode of MODES) {
    it(`asked for a reset twice ${mode.name}: true twice, as for an unknown email, and one link mailed, which resets the password`, async () => {
      const { mail, sent, signUp } = await setup();
      const ann = await signUp(`twice-reset-${mode.name.length}@example.com`);
      assert.deepEqual(await mode.twice(() => mail.requestPasswordReset(ann.user.email)), [true, true]);
      assert.deepEqual(await mode.twice(() => mail.requestPasswordReset("nobody-twice@example.com")), [true, true], "the same answers for an email without an account");
      await mail.settled();
      const links = mailsOf(sent, ann.user.id, "PASSWORD_RESET");
      assert.equal(links.length, 1);
      assert.equal(await mail.resetPassword(links[0]!.token, "twice-new-password"), true);
    });

    it(`asked to resend the verification twice ${mode.name}: true twice, and one link mailed besides the sign-up's, which stays valid`, async () => {
      const { mail, sent, signUp, advance } = await setup();
      const ann = await signUp(`twice-verify-${mode.name.length}@example.com`);
      assert.deepEqual(await mode.twice(() => mail.resendVerification(ann.user.id)), [true, true], "within the window of the sign-up's own mail");
      assert.equal(mailsOf(sent, ann.user.id, "EMAIL_VERIFICATION").length, 1, "the sign-up's link answers both");
      advance(ACCOUNT_MAIL_REPEAT_WINDOW_MS);
      assert.deepEqual(await mode.twice(() => mail.resendVerification(ann.user.id)), [true, true]);
      const links = mailsOf(sent, ann.user.id, "EMAIL_VERIFICATION");
      assert.equal(links.length, 2, "one more link past the window, however the two requests came");
      assert.equal(await mail.verifyEmail(links[0]!.token), true, "the first link still works");
    });
  }

  it("tells an account's owner once of a sign-up with their email sent from two tabs at once, and its reset link works", async () => {
    const { mail, accounts, sent, signUp, advance } = await setup();
    const ann = await signUp("taken-twice@example.com");
    advance(SIGN_UP_REPEAT_WINDOW_MS);
    const attempts = await Promise.allSettled([0, 1].map(() => accounts.signUp({ email: "taken-twice@example.com", password: "someone-else-1", name: "Eve" }, "203.0.113.8")));
    assert.deepEqual(attempts.map((attempt) => attempt.status), ["rejected", "rejected"]);
    await mail.settled();
    const notices = sent.filter((r) => r.userId === ann.user.id && r.reason === "sign-up-with-taken-email");
    assert.equal(notices.length, 1);
    assert.equal(await mail.resetPassword(notices[0]!.token, "owner-new-password"), true);
  });

  it("mails a new link once the window has passed, or once the link mailed was used", async () => {
    const { mail, sent, signUp, advance } = await setup();
    const ann = await signUp("window@example.com");
    await mail.requestPasswordReset(ann.user.email);
    await mail.settled();
    advance(ACCOUNT_MAIL_REPEAT_WINDOW_MS - 1);
    await mail.requestPasswordReset(ann.user.email);
    await mail.settled();
    assert.equal(mailsOf(sent, ann.user.id, "PASSWORD_RESET").length, 1, "still within the window");
    advance(1);
    await mail.requestPasswordReset(ann.user.email);
    await mail.settled();
    const links = mailsOf(sent, ann.user.id, "PASSWORD_RESET");
    assert.equal(links.length, 2, "past the window");
    assert.equal(await mail.resetPassword(links[1]!.token, "window-new-password"), true);
    await mail.requestPasswordReset(ann.user.email);
    await mail.settled();
    assert.equal(mailsOf(sent, ann.user.id, "PASSWORD_RESET").length, 3, "the links mailed are used: a new one goes out at once");
  });

  it("holds the next mail back only while a hand-over could be under way, after a process stopped between storing a link and handing its mail over", async () => {
    const { mail, sent, signUp, store, advance } = await setup();
    const ann = await signUp("stopped-hand-over@example.com");
    // What the stopped process left: its link stored, the mail never handed over.
    const stoppedAt = new Date("2026-03-01T10:00:00.000Z");
    const left = { tokenHash: newAccountToken().tokenHash, userId: ann.user.id, purpose: "PASSWORD_RESET" as const, expiresAt: new Date(stoppedAt.getTime() + 1_800_000), createdAt: stoppedAt, usedAt: null };
    assert.equal(await store.insertAccountTokenUnlessRecent(left, new Date(0), new Date(0)), true);
    advance(14_000);
    await mail.requestPasswordReset(ann.user.email);
    await mail.settled();
    assert.equal(mailsOf(sent, ann.user.id, "PASSWORD_RESET").length, 0, "its mail may still be on its way");
    advance(1_000);
    await mail.requestPasswordReset(ann.user.email);
    await mail.settled();
    const links = mailsOf(sent, ann.user.id, "PASSWORD_RESET");
    assert.equal(links.length, 1, "15 s on, long before the repeat window's 60 s, a link goes out");
    advance(30_000);
    await mail.requestPasswordReset(ann.user.email);
    await mail.settled();
    assert.equal(mailsOf(sent, ann.user.id, "PASSWORD_RESET").length, 1, "the link mailed holds a repeat back for the window, as before");
    assert.equal(await mail.resetPassword(links[0]!.token, "after-stop-password"), true);
  });

  it("holds nothing back after a hand-over that failed: asking again mails at once", async () => {
    let down = true;
    const { mail, sent, signUp } = await setup({ mailerDown: () => down });
    const ann = await signUp("broker-down@example.com");
    await mail.requestPasswordReset(ann.user.email);
    await mail.settled();
    assert.equal(mailsOf(sent, ann.user.id, "PASSWORD_RESET").length, 0);
    down = false;
    await mail.requestPasswordReset(ann.user.email);
    await mail.settled();
    const links = mailsOf(sent, ann.user.id, "PASSWORD_RESET");
    assert.equal(links.length, 1);
    assert.equal(await mail.resetPassword(links[0]!.token, "after-outage-password"), true);
  });
});
