import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { engineSuiteTitle } from "#kernel/testing";
import type { AddressFields } from "../../src/domain/user.js";
import { DuplicateEmailError, type AccountTokenRecord, type NewUser, type RefreshTokenRecord, type UserStore, type UserStorePausePoints } from "../../src/ports/user-store.js";
import { newAccountToken, type AccountTokenPurpose } from "../../src/domain/account-token.js";

/**
 * The guarantees of the `UserStore` port, checked against one adapter. `create` returns a
 * store on fresh data; every test makes its own users, so tests never see each other's rows.
 */
export function defineUserStoreContract(
  engine: string,
  create: (pauses: UserStorePausePoints) => Promise<UserStore>,
  engineProbe: {
    /** True while a statement of this store waits in the engine (a row lock); absent where nothing ever waits. */
    statementWaiting?: () => Promise<boolean>;
  } = {},
): void {
  describe(engineSuiteTitle("UserStore contract", engine), { timeout: 60_000 }, () => {
    let store: UserStore;
    const pauses: UserStorePausePoints = {};
    before(async () => {
      store = await create(pauses);
    });
    after(async () => {
      await store?.close();
    });

    const id = (prefix: string) => `${prefix}_${randomUUID().replaceAll("-", "").slice(0, 24)}`;
    // Whole milliseconds: MySQL DATETIME(3) keeps exactly that.
    const at = (offsetMs = 0) => new Date(Date.UTC(2026, 0, 1, 12) + offsetMs);

    async function user(overrides: Partial<NewUser> = {}) {
      const email = `${randomUUID()}@example.test`;
      const input: NewUser = { id: id("usr"), email, emailKey: email, name: "Ann", role: "customer", passwordHash: "scrypt$hash", createdAt: at(), ...overrides };
      return store.createUser(input);
    }

    /** Adds an address to a user far from the cap: it is always added. */
    async function addAddress(userId: string, address: AddressFields & { id: string; createdAt: Date }, makeDefault: boolean) {
      const added = await store.addAddress(userId, address, makeDefault, 20);
      assert.ok(added, "added");
      return added;
    }

    const fields = (overrides: Partial<AddressFields> = {}): AddressFields => ({
      recipientName: "Ann Example",
      line1: "Main Street 1",
      line2: null,
      city: "Berlin",
      region: null,
      postalCode: "10115",
      country: "DE",
      phone: null,
      ...overrides,
    });

    function token(userId: string, familyId: string, overrides: Partial<RefreshTokenRecord> = {}): RefreshTokenRecord {
      return { id: id("rt"), userId, familyId, tokenHash: "a".repeat(64), expiresAt: at(3_600_000), createdAt: at(), usedAt: null, revokedAt: null, ...overrides };
    }

    it("creates a user and finds it by id and by email key, with its password hash only in the credentials", async () => {
      const key = `bea-${randomUUID()}@example.test`;
      const created = await user({ name: "Bea", role: "admin", email: "Bea@Example.test", emailKey: key });
      assert.deepEqual(created, { id: created.id, email: "Bea@Example.test", name: "Bea", role: "admin", defaultAddressId: null, emailVerifiedAt: null, createdAt: at(), updatedAt: at() });
      assert.ok(!("passwordHash" in created), "the user record carries no password hash");
      assert.deepEqual((await store.findUsersByIds([created.id, "usr_missing"])).get(created.id), created);
      assert.equal((await store.findUsersByIds(["usr_missing"])).size, 0);
      assert.deepEqual(await store.findCredentials(key), { user: created, passwordHash: "scrypt$hash" });
      assert.equal(await store.findCredentials(`nobody-${key}`), null);
    });

    it("refuses a second account with the same email key, even when sign-ups race", async () => {
      const key = `race-${randomUUID()}@example.test`;
      const results = await Promise.allSettled(Array.from({ length: 8 }, () => user({ emailKey: key, email: key.toUpperCase() })));
      const created = results.filter((r) => r.status === "fulfilled");
      const refused = results.filter((r) => r.status === "rejected");
      assert.equal(created.length, 1);
      for (const rejection of refused) assert.ok((rejection as PromiseRejectedResult).reason instanceof DuplicateEmailError);
      assert.equal((await store.findCredentials(key))?.user.id, (created[0] as PromiseFulfilledResult<{ id: string }>).value.id);
    });

    it("compares email keys exactly: keys apart only by an accent or an invisible character are separate accounts", async () => {
      const local = `jose-${randomUUID().slice(0, 8)}`;
      const plain = `${local}@example.test`;
      const accented = `${local.replace("jose", "jos\u00e9")}@example.test`;
      const zeroWidth = `${local.replace("jose", "jo\u200bse")}@example.test`;
      const jose = await user({ email: plain, emailKey: plain });
      assert.equal(await store.findCredentials(accented), null, "josé@ does not find jose@");
      assert.equal(await store.findCredentials(zeroWidth), null, "a zero-width variant does not find jose@");
      assert.equal(await store.findCredentials(`${local.replace("jose", "JOSE")}@example.test`), null, "the store folds nothing, not even case");
      const jose2 = await user({ email: accented, emailKey: accented });
      assert.equal((await store.findCredentials(plain))?.user.id, jose.id);
      assert.equal((await store.findCredentials(accented))?.user.id, jose2.id);
    });

    it("makes the first address the default and keeps later ones out of it unless asked", async () => {
      const ann = await user();
      const first = await addAddress(ann.id, { ...fields(), id: id("adr"), createdAt: at(1) }, false);
      const second = await addAddress(ann.id, { ...fields({ city: "Hamburg" }), id: id("adr"), createdAt: at(2) }, false);
      assert.equal(first.isDefault, true);
      assert.equal(second.isDefault, false);
      const third = await addAddress(ann.id, { ...fields({ city: "Munich" }), id: id("adr"), createdAt: at(3) }, true);
      assert.equal(third.isDefault, true);
      const listed = (await store.listAddresses([ann.id])).get(ann.id)!;
      assert.deepEqual(listed.map((a) => [a.city, a.isDefault]), [["Berlin", false], ["Hamburg", false], ["Munich", true]]);
      assert.equal((await store.defaultAddress(ann.id))?.id, third.id);
      assert.equal((await store.findUsersByIds([ann.id])).get(ann.id)?.defaultAddressId, third.id);
      assert.equal(await store.countAddresses(ann.id), 3);
    });

    it("never keeps more addresses than the limit, however many adds race: each add past it writes nothing", async () => {
      const ann = await user();
      await addAddress(ann.id, { ...fields(), id: id("adr"), createdAt: at(1) }, false);
      const outcomes = await Promise.all(Array.from({ length: 8 }, (_, n) => store.addAddress(ann.id, { ...fields({ city: `City ${n}` }), id: id("adr"), createdAt: at(2 + n) }, n % 2 === 0, 3)));
      assert.equal(outcomes.filter((added) => added !== null).length, 2, "two more fit under a limit of 3");
      assert.equal(await store.countAddresses(ann.id), 3);
      const kept = (await store.listAddresses([ann.id])).get(ann.id)!;
      assert.deepEqual(kept.map((a) => a.id).sort(), [kept[0]!.id, ...outcomes.filter((a) => a !== null).map((a) => a!.id)].sort());
      const defaultId = (await store.findUsersByIds([ann.id])).get(ann.id)?.defaultAddressId;
      assert.ok(kept.some((a) => a.id === defaultId), "the default is one of the addresses kept");
    });

    it("answers an address the user keeps already (the same reading) with it, however many identical adds race, and makes it the default when asked", async () => {
      const ann = await user();
      const first = await addAddress(ann.id, { ...fields(), id: id("adr"), createdAt: at(1) }, false);
      const raced = await Promise.all(Array.from({ length: 20 }, (_, n) => store.addAddress(ann.id, { ...fields(), id: id("adr"), createdAt: at(2 + n) }, false, 20)));
      assert.deepEqual(raced.map((a) => a?.id), Array.from({ length: 20 }, () => first.id));
      const retyped = await addAddress(ann.id, { ...fields({ recipientName: "ANN  example", line1: " main street 1 " }), id: id("adr"), createdAt: at(30) }, false);
      assert.equal(retyped.id, first.id, "letter case and spacing make no other address");
      assert.deepEqual(retyped, first, "kept as first written");
      const other = await addAddress(ann.id, { ...fields({ city: "Hamburg" }), id: id("adr"), createdAt: at(31) }, true);
      assert.equal(other.isDefault, true);
      const again = await addAddress(ann.id, { ...fields(), id: id("adr"), createdAt: at(32) }, true);
      assert.deepEqual([again.id, again.isDefault], [first.id, true], "asked to be the default, the kept one becomes it");
      assert.equal((await store.defaultAddress(ann.id))?.id, first.id);
      assert.equal(await store.countAddresses(ann.id), 2);
      // Another user's identical address is theirs alone.
      const bob = await user();
      assert.notEqual((await addAddress(bob.id, { ...fields(), id: id("adr"), createdAt: at(1) }, false)).id, first.id);
    });

    it("stores every address field as given, nulls included", async () => {
      const ann = await user();
      const full = fields({ line2: "Floor 3", region: "Bavaria", phone: "+49 30 1234", country: "AT" });
      const address = await addAddress(ann.id, { ...full, id: id("adr"), createdAt: at(5) }, false);
      assert.deepEqual(address, { ...full, id: address.id, userId: ann.id, isDefault: true, createdAt: at(5), updatedAt: at(5) });
      const changed = await store.updateAddress(ann.id, address.id, { line2: null, city: "Vienna" }, at(9));
      assert.deepEqual(changed, { ...address, line2: null, city: "Vienna", updatedAt: at(9) });
    });

    it("lists addresses per user for many users at once, [] for users without any", async () => {
      const [ann, bob, cid] = [await user(), await user(), await user()];
      await addAddress(ann.id, { ...fields(), id: id("adr"), createdAt: at(1) }, false);
      await addAddress(bob.id, { ...fields(), id: id("adr"), createdAt: at(1) }, false);
      await addAddress(bob.id, { ...fields({ city: "Hamburg" }), id: id("adr"), createdAt: at(2) }, false);
      const listed = await store.listAddresses([ann.id, bob.id, cid.id]);
      assert.deepEqual([ann.id, bob.id, cid.id].map((u) => listed.get(u)?.length), [1, 2, 0]);
      assert.ok(listed.get(bob.id)!.every((a) => a.userId === bob.id));
    });

    it("treats another user's address exactly like one that does not exist", async () => {
      const [owner, other] = [await user(), await user()];
      const address = await addAddress(owner.id, { ...fields(), id: id("adr"), createdAt: at(1) }, false);
      for (const addressId of [address.id, "adr_does_not_exist"]) {
        assert.equal(await store.updateAddress(other.id, addressId, { city: "Stolen" }, at(2)), null);
        assert.equal(await store.setDefaultAddress(other.id, addressId), null);
        assert.equal(await store.removeAddress(other.id, addressId), false);
      }
      assert.equal(await store.defaultAddress(other.id), null);
      assert.equal((await store.listAddresses([owner.id])).get(owner.id)![0]!.city, "Berlin");
      assert.equal((await store.findUsersByIds([other.id])).get(other.id)?.defaultAddressId, null);
    });

    it("sets the default to one of the user's own addresses, and clears it when that address is removed", async () => {
      const ann = await user();
      const first = await addAddress(ann.id, { ...fields(), id: id("adr"), createdAt: at(1) }, false);
      const second = await addAddress(ann.id, { ...fields({ city: "Hamburg" }), id: id("adr"), createdAt: at(2) }, false);
      assert.equal((await store.setDefaultAddress(ann.id, second.id))?.isDefault, true);
      assert.equal((await store.defaultAddress(ann.id))?.id, second.id);
      assert.equal(await store.removeAddress(ann.id, second.id), true);
      assert.equal(await store.defaultAddress(ann.id), null);
      assert.equal((await store.findUsersByIds([ann.id])).get(ann.id)?.defaultAddressId, null);
      assert.deepEqual((await store.listAddresses([ann.id])).get(ann.id)!.map((a) => [a.id, a.isDefault]), [[first.id, false]]);
      assert.equal(await store.removeAddress(ann.id, second.id), false, "removing twice finds nothing");
    });

    it("stores refresh tokens and reads them back as written", async () => {
      const ann = await user();
      const record = token(ann.id, id("fam"));
      await store.insertRefreshToken(record);
      assert.deepEqual(await store.findRefreshToken(record.id), record);
      assert.equal(await store.findRefreshToken("rt_missing"), null);
    });

    it("rotates a refresh token once: of 10 racing rotations exactly one wins", async () => {
      const ann = await user();
      const family = id("fam");
      const first = token(ann.id, family);
      await store.insertRefreshToken(first);
      const successors = Array.from({ length: 10 }, () => token(ann.id, family));
      const results = await Promise.all(successors.map((next) => store.rotateRefreshToken(first.id, next, at(1000))));
      assert.equal(results.filter(Boolean).length, 1);
      const winner = successors[results.indexOf(true)]!;
      assert.deepEqual(await store.findRefreshToken(winner.id), winner);
      for (const loser of successors.filter((s) => s !== winner)) assert.equal(await store.findRefreshToken(loser.id), null, "a losing successor is not stored");
      assert.deepEqual((await store.findRefreshToken(first.id))?.usedAt, at(1000));
    });

    it("refuses to rotate a revoked or expired token", async () => {
      const ann = await user();
      const family = id("fam");
      const expired = token(ann.id, family, { expiresAt: at(500) });
      const revoked = token(ann.id, family, { revokedAt: at(100) });
      await store.insertRefreshToken(expired);
      await store.insertRefreshToken(revoked);
      assert.equal(await store.rotateRefreshToken(expired.id, token(ann.id, family), at(500)), false);
      assert.equal(await store.rotateRefreshToken(revoked.id, token(ann.id, family), at(200)), false);
      assert.equal(await store.rotateRefreshToken("rt_missing", token(ann.id, family), at(200)), false);
    });

    it("revokes a whole family and nothing else", async () => {
      const ann = await user();
      const [family, otherFamily] = [id("fam"), id("fam")];
      const tokens = [token(ann.id, family), token(ann.id, family, { usedAt: at(1) }), token(ann.id, otherFamily)];
      for (const t of tokens) await store.insertRefreshToken(t);
      assert.equal(await store.revokeRefreshFamily({ userId: ann.id, familyId: family }, at(50)), 2);
      assert.deepEqual((await store.findRefreshToken(tokens[0]!.id))?.revokedAt, at(50));
      assert.deepEqual((await store.findRefreshToken(tokens[1]!.id))?.revokedAt, at(50));
      assert.equal((await store.findRefreshToken(tokens[2]!.id))?.revokedAt, null);
      assert.equal(await store.revokeRefreshFamily({ userId: ann.id, familyId: family }, at(60)), 0, "already revoked tokens keep their first revocation");
      assert.deepEqual((await store.findRefreshToken(tokens[0]!.id))?.revokedAt, at(50));
    });

    /** Holds the next rotation at its pause point until released. */
    function holdNextRotation() {
      let reached!: () => void;
      let release!: () => void;
      const held = new Promise<void>((resolve) => (reached = resolve));
      const released = new Promise<void>((resolve) => (release = resolve));
      pauses.duringRotation = () => {
        pauses.duringRotation = undefined;
        reached();
        return released;
      };
      return { held, release };
    }

    /** Resolves once `pending` settled or, where the engine can say so, waits on a lock held by the paused rotation. */
    async function settledOrWaiting(pending: Promise<unknown>): Promise<void> {
      let settled = false;
      void pending.then(
        () => (settled = true),
        () => (settled = true),
      );
      while (!settled && !(await engineProbe.statementWaiting?.())) await new Promise((resolve) => setTimeout(resolve, engineProbe.statementWaiting ? 20 : 0));
    }

    /** Each way a session ends, prepared beforehand so that ending it is one store call. */
    const sessionEnders = {
      "a log-out (the family revoked)": async (userId: string, familyId: string) => async () => void (await store.revokeRefreshFamily({ userId, familyId }, at(1500))),
      "a password reset": async (userId: string) => {
        const link = await accountToken(userId, "PASSWORD_RESET");
        return async () => assert.equal(await store.resetPassword(link.tokenHash, "scrypt$reset", at(1500)), userId);
      },
    };
    for (const [ender, endSession] of Object.entries(sessionEnders)) {
      // Ids decide where the successor lands in the family's index, before or after the used
      // token; the statement ending the family walks that index, so both places are tried.
      for (const successorSorts of ["before", "after"] as const) {
        it(`leaves no live successor when ${ender} comes while a rotation is half done (successor id sorting ${successorSorts} the used one)`, async () => {
          const ann = await user();
          const family = id("fam");
          const [low, high] = [`rt_0${id("x")}`, `rt_z${id("x")}`];
          const used = token(ann.id, family, { id: successorSorts === "before" ? high : low });
          const successor = token(ann.id, family, { id: successorSorts === "before" ? low : high });
          await store.insertRefreshToken(used);
          const end = await endSession(ann.id, family);

          const rotation = holdNextRotation();
          const rotating = store.rotateRefreshToken(used.id, successor, at(1000));
          await rotation.held;
          const ending = end();
          await settledOrWaiting(ending);
          rotation.release();
          const [rotated] = await Promise.all([rotating, ending]);

          const stored = await store.findRefreshToken(successor.id);
          if (rotated) assert.deepEqual(stored?.revokedAt, at(1500), "the successor is revoked with its family");
          else assert.equal(stored, null, "a refused rotation stores nothing");
          assert.equal(await store.rotateRefreshToken(successor.id, token(ann.id, family), at(2000)), false, "the successor starts no new session");
        });
      }
    }

    it("begins a session only while the password it checked is still the user's", async () => {
      const ann = await user();
      const checked = (await store.findCredentials(ann.email))!.passwordHash;
      const link = await accountToken(ann.id, "PASSWORD_RESET");
      assert.equal(await store.resetPassword(link.tokenHash, "scrypt$after-reset", at(10)), ann.id);

      const late = token(ann.id, id("fam"));
      assert.equal(await store.beginSession(late, checked), false, "a log-in that checked the old password starts nothing");
      assert.equal(await store.findRefreshToken(late.id), null);
      const current = token(ann.id, id("fam"));
      assert.equal(await store.beginSession(current, "scrypt$after-reset"), true);
      assert.deepEqual(await store.findRefreshToken(current.id), current);
      assert.equal(await store.beginSession(token("usr_gone", id("fam")), "scrypt$hash"), false, "nor for a user who does not exist");
    });

    async function accountToken(userId: string, purpose: AccountTokenPurpose, overrides: Partial<AccountTokenRecord> = {}): Promise<AccountTokenRecord> {
      const record: AccountTokenRecord = { tokenHash: newAccountToken().tokenHash, userId, purpose, expiresAt: at(1_800_000), createdAt: at(), usedAt: null, ...overrides };
      await store.insertAccountToken(record);
      return record;
    }

    it("finds a one-time token only while it is live, and only for its purpose", async () => {
      const ann = await user();
      const reset = await accountToken(ann.id, "PASSWORD_RESET");
      assert.deepEqual(await store.findLiveAccountToken(reset.tokenHash, "PASSWORD_RESET", at(1)), reset);
      assert.equal(await store.findLiveAccountToken(reset.tokenHash, "EMAIL_VERIFICATION", at(1)), null, "another purpose");
      assert.equal(await store.findLiveAccountToken(reset.tokenHash, "PASSWORD_RESET", at(1_800_000)), null, "expired");
      assert.equal(await store.findLiveAccountToken(newAccountToken().tokenHash, "PASSWORD_RESET", at(1)), null, "unknown");
      const used = await accountToken(ann.id, "PASSWORD_RESET", { usedAt: at(1) });
      assert.equal(await store.findLiveAccountToken(used.tokenHash, "PASSWORD_RESET", at(2)), null, "used");
    });

    it("finds a one-time token for its purpose in whatever state it is kept: live, used or expired", async () => {
      const ann = await user();
      const live = await accountToken(ann.id, "EMAIL_VERIFICATION");
      const used = await accountToken(ann.id, "EMAIL_VERIFICATION", { usedAt: at(1) });
      const expired = await accountToken(ann.id, "PASSWORD_RESET", { expiresAt: at(10) });
      assert.deepEqual(await store.findAccountToken(live.tokenHash, "EMAIL_VERIFICATION"), live);
      assert.deepEqual(await store.findAccountToken(used.tokenHash, "EMAIL_VERIFICATION"), used);
      assert.deepEqual(await store.findAccountToken(expired.tokenHash, "PASSWORD_RESET"), expired);
      assert.equal(await store.findAccountToken(live.tokenHash, "PASSWORD_RESET"), null, "another purpose");
      assert.equal(await store.findAccountToken(newAccountToken().tokenHash, "EMAIL_VERIFICATION"), null, "unknown");
    });

    it("stores one of 10 racing tokens of one purpose made within the window; another purpose, another user, or a token past it, used or expired is no bar", async () => {
      const [ann, bob] = [await user(), await user()];
      const fresh = (userId: string, purpose: AccountTokenPurpose, createdAt = at(100)): AccountTokenRecord => ({ tokenHash: newAccountToken().tokenHash, userId, purpose, expiresAt: at(1_800_000), createdAt, usedAt: null });
      const racing = Array.from({ length: 10 }, () => fresh(ann.id, "PASSWORD_RESET"));
      const stored = await Promise.all(racing.map((record) => store.insertAccountTokenUnlessRecent(record, at(0), at(0))));
      assert.equal(stored.filter(Boolean).length, 1, "exactly one stored");
      const live = await Promise.all(racing.map((record) => store.findLiveAccountToken(record.tokenHash, "PASSWORD_RESET", at(101))));
      assert.deepEqual(live.filter((found) => found !== null).map((found) => found!.tokenHash), [racing[stored.indexOf(true)]!.tokenHash], "the stored one is the one live");
      assert.equal(await store.insertAccountTokenUnlessRecent(fresh(ann.id, "EMAIL_VERIFICATION"), at(0), at(0)), true, "another purpose");
      assert.equal(await store.insertAccountTokenUnlessRecent(fresh(bob.id, "PASSWORD_RESET"), at(0), at(0)), true, "another user");
      assert.equal(await store.insertAccountTokenUnlessRecent(fresh(ann.id, "PASSWORD_RESET", at(200)), at(100), at(100)), true, "the held one is not after the window's start");

      const carl = await user();
      await accountToken(carl.id, "PASSWORD_RESET", { createdAt: at(100), usedAt: at(150) });
      assert.equal(await store.insertAccountTokenUnlessRecent(fresh(carl.id, "PASSWORD_RESET", at(200)), at(0), at(0)), true, "a used one");
      const dora = await user();
      await accountToken(dora.id, "PASSWORD_RESET", { createdAt: at(100), expiresAt: at(150) });
      assert.equal(await store.insertAccountTokenUnlessRecent(fresh(dora.id, "PASSWORD_RESET", at(200)), at(0), at(0)), true, "an expired one");
    });

    it("holds back a new token with an unused one mailed within the window, or one still being handed over, but not with one whose hand-over was lost", async () => {
      const fresh = (userId: string, createdAt: Date): AccountTokenRecord => ({ tokenHash: newAccountToken().tokenHash, userId, purpose: "PASSWORD_RESET", expiresAt: at(1_800_000), createdAt, usedAt: null });
      const [mailed, lost, underWay] = [await user(), await user(), await user()];
      const held = { mailed: fresh(mailed.id, at(100)), lost: fresh(lost.id, at(100)), underWay: fresh(underWay.id, at(100)) };
      for (const record of Object.values(held)) assert.equal(await store.insertAccountTokenUnlessRecent(record, at(0), at(0)), true);
      await store.markAccountTokenMailed(held.mailed.tokenHash, at(110));
      await store.markAccountTokenMailed(newAccountToken().tokenHash, at(110));
      assert.equal(await store.insertAccountTokenUnlessRecent(fresh(mailed.id, at(200)), at(0), at(150)), false, "mailed, within the window");
      const afterLoss = fresh(lost.id, at(200));
      assert.equal(await store.insertAccountTokenUnlessRecent(afterLoss, at(0), at(150)), true, "never mailed, past its hand-over");
      assert.ok(await store.findLiveAccountToken(afterLoss.tokenHash, "PASSWORD_RESET", at(201)), "the new one is stored and live");
      assert.equal(await store.insertAccountTokenUnlessRecent(fresh(lost.id, at(210)), at(0), at(150)), false, "the new one, being handed over, holds back the next");
      assert.equal(await store.insertAccountTokenUnlessRecent(fresh(underWay.id, at(200)), at(0), at(50)), false, "not mailed yet, still within its hand-over");
      assert.equal(await store.insertAccountTokenUnlessRecent(fresh(mailed.id, at(300)), at(250), at(250)), true, "mailed, but before the window");
      assert.deepEqual(await store.findAccountToken(held.mailed.tokenHash, "PASSWORD_RESET"), held.mailed, "the mark is not part of the token as read");
    });

    it("drops a token, and only that one", async () => {
      const ann = await user();
      const [dropped, kept] = [await accountToken(ann.id, "PASSWORD_RESET"), await accountToken(ann.id, "PASSWORD_RESET")];
      await store.dropAccountToken(dropped.tokenHash);
      assert.equal(await store.findAccountToken(dropped.tokenHash, "PASSWORD_RESET"), null);
      assert.deepEqual(await store.findAccountToken(kept.tokenHash, "PASSWORD_RESET"), kept);
      await store.dropAccountToken(dropped.tokenHash);
    });

    it("drops a user's expired tokens when it stores a new one, and nobody else's", async () => {
      const [ann, bob] = [await user(), await user()];
      const expired = await accountToken(ann.id, "EMAIL_VERIFICATION", { expiresAt: at(10) });
      const live = await accountToken(ann.id, "PASSWORD_RESET", { expiresAt: at(1_000) });
      const bobs = await accountToken(bob.id, "EMAIL_VERIFICATION", { expiresAt: at(10) });
      await accountToken(ann.id, "PASSWORD_RESET", { createdAt: at(10) });
      // Expired ones are gone for good: not found even at a time before their expiry.
      assert.equal(await store.findLiveAccountToken(expired.tokenHash, "EMAIL_VERIFICATION", at(1)), null);
      assert.ok(await store.findLiveAccountToken(live.tokenHash, "PASSWORD_RESET", at(11)));
      assert.ok(await store.findLiveAccountToken(bobs.tokenHash, "EMAIL_VERIFICATION", at(1)));
    });

    it("resets a password once: of 10 racing resets with one token exactly one wins, and it ends every session", async () => {
      const [ann, bob] = [await user(), await user()];
      const reset = await accountToken(ann.id, "PASSWORD_RESET");
      const olderLink = await accountToken(ann.id, "PASSWORD_RESET");
      const bobsLink = await accountToken(bob.id, "PASSWORD_RESET");
      const sessions = [token(ann.id, id("fam")), token(ann.id, id("fam"))];
      const bobsSession = token(bob.id, id("fam"));
      for (const t of [...sessions, bobsSession]) await store.insertRefreshToken(t);

      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => store.resetPassword(reset.tokenHash, `scrypt$new-${i}`, at(10))));
      const winners = results.flatMap((userId, i) => (userId === null ? [] : [i]));
      assert.equal(winners.length, 1, `winners: ${winners.join(", ")}`);
      assert.equal(results[winners[0]!], ann.id);
      const credentials = await store.findCredentials(ann.email);
      assert.equal(credentials?.passwordHash, `scrypt$new-${winners[0]}`, "the winner's password is the one kept");
      assert.deepEqual(credentials?.user.emailVerifiedAt, at(10), "reaching the mailbox verifies it");
      for (const session of sessions) assert.deepEqual((await store.findRefreshToken(session.id))?.revokedAt, at(10));
      assert.equal(await store.findLiveAccountToken(olderLink.tokenHash, "PASSWORD_RESET", at(11)), null, "an older link is used up with it");
      assert.equal(await store.resetPassword(olderLink.tokenHash, "scrypt$again", at(11)), null);
      assert.equal((await store.findRefreshToken(bobsSession.id))?.revokedAt, null, "other users keep their sessions");
      assert.ok(await store.findLiveAccountToken(bobsLink.tokenHash, "PASSWORD_RESET", at(11)), "and their links");
    });

    it("refuses to reset with an expired, unknown or verification token, changing nothing", async () => {
      const ann = await user();
      const expired = await accountToken(ann.id, "PASSWORD_RESET", { expiresAt: at(5) });
      const verification = await accountToken(ann.id, "EMAIL_VERIFICATION");
      const session = token(ann.id, id("fam"));
      await store.insertRefreshToken(session);
      assert.equal(await store.resetPassword(expired.tokenHash, "scrypt$x", at(5)), null);
      assert.equal(await store.resetPassword(verification.tokenHash, "scrypt$x", at(1)), null);
      assert.equal(await store.resetPassword(newAccountToken().tokenHash, "scrypt$x", at(1)), null);
      assert.equal((await store.findCredentials(ann.email))?.passwordHash, "scrypt$hash");
      assert.equal((await store.findRefreshToken(session.id))?.revokedAt, null);
    });

    it("verifies an email once: of 10 racing verifications with one token exactly one wins", async () => {
      const ann = await user();
      const link = await accountToken(ann.id, "EMAIL_VERIFICATION");
      const results = await Promise.all(Array.from({ length: 10 }, () => store.verifyEmail(link.tokenHash, at(20))));
      assert.deepEqual(results.filter((r) => r !== null), [ann.id]);
      assert.deepEqual((await store.findUsersByIds([ann.id])).get(ann.id)?.emailVerifiedAt, at(20));
      const second = await accountToken(ann.id, "EMAIL_VERIFICATION");
      assert.equal(await store.verifyEmail(second.tokenHash, at(30)), ann.id, "a later link still works");
      assert.deepEqual((await store.findUsersByIds([ann.id])).get(ann.id)?.emailVerifiedAt, at(20), "and keeps the first verification time");
      const expired = await accountToken(ann.id, "EMAIL_VERIFICATION", { expiresAt: at(40) });
      assert.equal(await store.verifyEmail(expired.tokenHash, at(40)), null);
    });
  });
}
