/**
 * Locking a customer out on purpose, seen from her browser: she signed in here before, so the
 * storefront kept the device proof logIn returned and sends it with her next sign-in; failed
 * log-ins for her email from elsewhere past the account's ceiling refuse clients without one,
 * and never this browser.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createStorefrontClient, LogInDocument, StorefrontError } from '../../../clients/typescript/src/index.js';
import { startTestSupergraph, type TestSupergraph } from '../../../test/support/start-test-supergraph.js';
import { browserSkipReason } from '../../../test/support/headless-chromium.js';
import { openStorefront, signUpCustomer, type Customer, type StorefrontBrowser } from './support/storefront-browser.js';

const skip = browserSkipReason('storefront known device browser test');

describe('a known browser through a lockout', { skip }, () => {
  let supergraph: TestSupergraph;
  let customer: Customer;
  let shop: StorefrontBrowser;

  before(async () => {
    // Every call comes from one address here: the account's ceiling is the budget that runs out.
    supergraph = await startTestSupergraph({ env: { RATE_LIMIT_AUTH_PER_MINUTE: '1000', LOGIN_FAILURES_PER_ACCOUNT: '100', LOGIN_FAILURES_PER_ADDRESS: '100', LOGIN_FAILURES_PER_ACCOUNT_ALL_NETWORKS: '3' } });
    customer = await signUpCustomer(supergraph, 'Device Customer');
    shop = await openStorefront(supergraph, 'known-device');
  });
  after(async () => {
    await shop?.close();
    await customer?.client.dispose();
    await supergraph?.close();
  });

  async function signInOnTheForm(): Promise<void> {
    const { page } = shop;
    await page.goto(`${shop.origin}/shop#/account?mode=logIn`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.getByLabel('Email').fill(customer.email);
    await page.getByLabel('Password').fill(customer.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Account' }).getByRole('link', { name: 'Account' }).click();
    await page.getByText('You are signed in.').waitFor();
  }

  test('the browser she signed in with before signs her in after failures from elsewhere lock the account', async () => {
    await signInOnTheForm();
    await shop.page.getByRole('button', { name: 'Sign out' }).click();
    await shop.page.getByText('You are signed in.').waitFor({ state: 'detached' });

    const elsewhere = createStorefrontClient({ url: supergraph.gatewayUrl });
    for (let i = 0; i < 3; i++) await assert.rejects(elsewhere.request(LogInDocument, { email: customer.email, password: `guess ${i} wrong` }), (error: StorefrontError) => error.code === 'UNAUTHENTICATED');
    await assert.rejects(elsewhere.request(LogInDocument, { email: customer.email, password: customer.password }), (error: StorefrontError) => error.code === 'RATE_LIMITED');

    await signInOnTheForm();
    await shop.shot('signed-in-through-a-lockout');
    assert.deepEqual(shop.pageErrors, []);
  });
});
