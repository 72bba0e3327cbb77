/**
 * The links account mails carry land on storefront pages, in headless Chromium against the
 * real gateway and the notification service writing mail to a folder: "Forgot your password?"
 * on the sign-in form, the reset link from the mail, a new password, sign-in with it; the
 * verification link confirming the address; a used link and a hostile token answered with a
 * clear message. Screenshots in test-artifacts/storefront/account-links/.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { waitFor } from '#kernel/testing';
import { createStorefrontClient, LogInDocument, MeDocument, StorefrontError } from '../../../clients/typescript/src/index.js';
import { startTestSupergraph, type TestSupergraph } from '../../../test/support/start-test-supergraph.js';
import { browserSkipReason } from '../../../test/support/headless-chromium.js';
import { mailTo } from '../../../test/support/mail-folder.js';
import { openStorefront, signUpCustomer, unnamedControls, WAIT_MS, type Customer, type StorefrontBrowser } from './support/storefront-browser.js';

const skip = browserSkipReason('storefront account links browser test');
/** Where the mails point; the test opens the same path and token on the gateway's own origin. */
const LINK_BASE = 'https://shop.example.test/shop';

describe('account mail links on the storefront', { skip }, () => {
  let supergraph: TestSupergraph;
  let mailDir: string;
  let customer: Customer;
  let shop: StorefrontBrowser;

  /** The link of this kind mailed to the customer, moved onto the test gateway's origin. */
  async function mailedLink(kind: string, path: string, not?: string): Promise<string> {
    let link: string | undefined;
    await waitFor(`the ${kind} email`, () => {
      const mail = mailTo(mailDir, kind, customer.email);
      link = mail && new RegExp(`${LINK_BASE}/${path}#token=[A-Za-z0-9_-]+`).exec(mail)?.[0];
      return link !== undefined && link !== not;
    }, { timeoutMs: WAIT_MS });
    return link!.replace(LINK_BASE, `${shop.origin}/shop`);
  }

  before(async () => {
    mailDir = mkdtempSync(join(tmpdir(), 'storefront-mail-'));
    supergraph = await startTestSupergraph({ env: { NOTIFICATIONS_DIR: mailDir, ACCOUNT_LINK_BASE_URL: LINK_BASE, RATE_LIMIT_AUTH_PER_MINUTE: '1000' } });
    customer = await signUpCustomer(supergraph, 'Link Customer');
    shop = await openStorefront(supergraph, 'account-links');
  });
  after(async () => {
    await shop?.close();
    await customer?.client.dispose();
    await supergraph?.close();
    if (mailDir) rmSync(mailDir, { recursive: true, force: true });
  });

  test('the verification link confirms the address, and says so again when opened again', async () => {
    const { page } = shop;
    const link = await mailedLink('email_verification', 'verify-email');
    await page.goto(link);
    await page.getByText('Your email address is confirmed.').waitFor();
    await shop.shot('email-verified');
    assert.equal((await customer.client.request(MeDocument)).me?.id !== undefined, true);
    const verified = await supergraph.query(`{ me { emailVerified } }`, {}, customer.session.accessToken);
    assert.equal(verified.data?.me.emailVerified, true);

    await page.goto(`${shop.origin}/shop`);
    await page.goto(link);
    await page.getByText('Your email address is confirmed.').waitFor();
    await shop.shot('verify-link-reopened');
  });

  test('forgot password: the mailed link sets a new password, the customer signs in with it, and the used link then says so', async () => {
    const { page } = shop;
    await page.goto(`${shop.origin}/shop#/account?mode=logIn`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    await page.getByRole('heading', { name: 'Reset your password' }).waitFor();
    await page.getByLabel('Email').fill(customer.email.toUpperCase());
    await page.getByRole('button', { name: 'Email me a link' }).click();
    await page.getByRole('status').filter({ hasText: 'we have sent it a link' }).waitFor();
    await shop.shot('reset-requested');

    const link = await mailedLink('password_reset', 'reset-password');
    await page.goto(link);
    await page.getByRole('heading', { name: 'Choose a new password' }).waitFor();
    await page.getByLabel('New password', { exact: true }).fill('second password 2');
    assert.deepEqual(await unnamedControls(page), [], 'every control of the reset page has a name');
    await shop.shot('reset-form');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByRole('heading', { name: 'Password changed' }).waitFor();
    await shop.shot('reset-done');

    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/shop/', 'the token left the address bar');
    await page.getByLabel('Email').fill(customer.email);
    await page.getByLabel('Password').fill('second password 2');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Account' }).getByRole('link', { name: 'Account' }).click();
    await page.getByText('You are signed in.').waitFor();
    await shop.shot('signed-in-with-new-password');

    // The old password and the session from before the reset are over.
    const fresh = createStorefrontClient({ url: supergraph.gatewayUrl });
    await assert.rejects(fresh.request(LogInDocument, { email: customer.email, password: customer.password }), (error: StorefrontError) => error.code === 'UNAUTHENTICATED');
    assert.ok((await fresh.request(LogInDocument, { email: customer.email, password: 'second password 2' })).logIn.accessToken);

    // The link works once: opened again, it says what to do.
    await page.goto(link);
    await page.getByLabel('New password', { exact: true }).fill('third password 3');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByRole('alert').filter({ hasText: 'This link is invalid or has expired; ask for a new one' }).waitFor();
    await page.getByRole('link', { name: 'Ask for a new link' }).waitFor();
    await shop.shot('reset-link-used');
  });

  test('a hostile or missing token is answered with a clear message and runs nothing', async () => {
    const { page } = shop;
    let dialogs = 0;
    page.on('dialog', (dialog) => {
      dialogs++;
      void dialog.dismiss();
    });
    await page.goto(`${shop.origin}/shop/reset-password#token=${encodeURIComponent('<img src=x onerror=alert(1)>' + 'A'.repeat(10_000))}`);
    await page.getByLabel('New password', { exact: true }).fill('fourth password 4');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByRole('alert').filter({ hasText: 'This link is invalid or has expired' }).waitFor();
    await page.goto(`${shop.origin}/shop/verify-email#token=${encodeURIComponent('"><script>alert(1)</script>')}`);
    await page.getByRole('alert').filter({ hasText: 'This link is invalid or has expired' }).waitFor();
    await page.goto(`${shop.origin}/shop/reset-password`);
    await page.getByRole('alert').filter({ hasText: 'This link is incomplete' }).waitFor();
    await shop.shot('hostile-token');
    assert.equal(dialogs, 0, 'nothing in the token ran');
    assert.deepEqual(shop.pageErrors, []);
    assert.deepEqual(shop.foreignRequests, [], 'every request stays on the gateway origin');
  });
});
