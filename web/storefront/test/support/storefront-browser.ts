/**
 * What the storefront's browser tests share: a customer and their orders made through the
 * typed client (the same calls the page makes), and a phone-sized headless Chromium on the
 * gateway's origin that records page errors, requests leaving the origin, the GraphQL
 * operations the page sends, and numbered screenshots in test-artifacts/storefront/<suite>/.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { waitFor } from '#kernel/testing';
import {
  AddToCartDocument,
  CheckoutDocument,
  createStorefrontClient,
  OrderDetailsDocument,
  ShippingMethodsDocument,
  SignUpDocument,
  type OrderStatus,
  type Session,
  type StorefrontClient,
} from '../../../../clients/typescript/src/index.js';
import { startTestSupergraph, type TestSupergraph } from '../../../../test/support/start-test-supergraph.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../../../test/support/headless-chromium.js';

export const WAIT_MS = 20_000;

export interface Customer {
  email: string;
  password: string;
  session: Session;
  client: StorefrontClient;
}

/** A new customer signed up through the gateway, with a client holding their session. */
export async function signUpCustomer(supergraph: TestSupergraph, name: string): Promise<Customer> {
  const email = `${name.toLowerCase().replace(/\W+/g, '.')}.${randomUUID().slice(0, 8)}@example.com`;
  const password = 'first password 1';
  const client = createStorefrontClient({ url: supergraph.gatewayUrl });
  const { signUp } = await client.request(SignUpDocument, { input: { email, password, name } });
  const session = { accessToken: signUp.accessToken, refreshToken: signUp.refreshToken };
  client.setSession(session);
  return { email, password, session, client };
}

/** A product in stock with `units` units, created by an admin; its id. */
export async function stockedProduct(supergraph: TestSupergraph, name: string, units: number): Promise<string> {
  const admin = await supergraph.token('storefront-test-admin', ['customer', 'admin']);
  const sku = `BROWSER-${randomUUID().slice(0, 8).toUpperCase()}`;
  const created = await supergraph.query(
    `mutation($input: CreateProductInput!) { createProduct(input: $input) { id variants { id } } }`,
    { input: { sku, name, description: `${name}, for the browser tests`, category: 'home', brand: 'Storefront', priceAmount: 2500 } },
    admin,
  );
  assert.equal(created.errors, undefined, JSON.stringify(created.errors));
  const product = created.data!.createProduct as { id: string; variants: { id: string }[] };
  const restocked = await supergraph.query(`mutation($v: ID!, $q: Int!) { restock(variantId: $v, quantity: $q, idempotencyKey: "${randomUUID()}") { available } }`, { v: product.variants[0]!.id, q: units }, admin);
  assert.equal(restocked.errors, undefined, JSON.stringify(restocked.errors));
  return product.id;
}

/** The customer buys `quantity` of the product with a typed address (and the simulator's `paymentMethod` token); resolves once the order has `status`. */
export async function placeOrder(customer: Customer, productId: string, quantity: number, status: OrderStatus = 'PAID', paymentMethod?: string): Promise<string> {
  const { client } = customer;
  await client.request(AddToCartDocument, { productId, quantity });
  const { shippingMethods } = await client.request(ShippingMethodsDocument, { countryCode: 'US' });
  const { checkout } = await client.request(CheckoutDocument, {
    idempotencyKey: randomUUID(),
    shippingAddress: { recipientName: 'Browser Customer', line1: '1 Main Street', city: 'Springfield', region: 'IL', postalCode: '62701', country: 'US' },
    shippingMethodId: shippingMethods[0]!.id,
    paymentMethod,
  });
  await waitFor(`order ${checkout.id} is ${status}`, async () => (await client.request(OrderDetailsDocument, { id: checkout.id })).order?.status === status, { timeoutMs: WAIT_MS, intervalMs: 100 });
  return checkout.id;
}

export interface StorefrontBrowser {
  origin: string;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** Uncaught errors in the page. */
  pageErrors: string[];
  /** Requests to anywhere but the gateway's origin. */
  foreignRequests: string[];
  /** The operationName of every GraphQL POST the page sent, in order. */
  operationsSent: string[];
  shot(name: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * Chromium on a phone-sized screen at the gateway's origin. With a session, the page starts
 * signed in as that customer (the storefront keeps its session in sessionStorage).
 */
export async function openStorefront(supergraph: TestSupergraph, suite: string, session?: Session): Promise<StorefrontBrowser> {
  const origin = supergraph.gatewayUrl.replace(/\/graphql$/, '');
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, hasTouch: true });
  if (session) {
    // Only before the page's first load: later loads keep whatever the page itself stored.
    await context.addInitScript((saved) => {
      if (!sessionStorage.getItem('storefront.test.seeded')) {
        sessionStorage.setItem('storefront.session', saved);
        sessionStorage.setItem('storefront.test.seeded', 'yes');
      }
    }, JSON.stringify(session));
  }
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT_MS);
  const pageErrors: string[] = [];
  const foreignRequests: string[] = [];
  const operationsSent: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(String(error)));
  context.on('request', (request) => {
    const url = new URL(request.url());
    if (!['http:', 'ws:'].includes(url.protocol) || url.host !== new URL(origin).host) foreignRequests.push(request.url());
    if (request.method() === 'POST' && url.pathname === '/graphql') {
      const body = request.postDataJSON() as { operationName?: string } | null;
      operationsSent.push(body?.operationName ?? '(anonymous)');
    }
  });
  const dir = path.join('test-artifacts', 'storefront', suite);
  mkdirSync(dir, { recursive: true });
  let step = 0;
  return {
    origin,
    browser,
    context,
    page,
    pageErrors,
    foreignRequests,
    operationsSent,
    shot: async (name) => {
      await page.screenshot({ path: path.join(dir, `${String(++step).padStart(2, '0')}-${name}.png`), fullPage: true });
    },
    close: () => browser.close(),
  };
}

/** Resolves once the order page shows `label` as the order's status. */
export async function orderStatusShown(page: Page, label: string): Promise<void> {
  await page.waitForFunction((wanted) => document.querySelector('[data-testid="order-status"]')?.textContent === wanted, label);
}

/**
 * Form controls on the page that a screen reader could not name: no <label>, no aria-label or
 * aria-labelledby, and (for buttons) no text. Each is described by its tag and id.
 */
export function unnamedControls(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    Array.from(document.querySelectorAll<HTMLElement>('input, select, textarea, button'))
      .filter((control) => {
        const labelled = (control as HTMLInputElement).labels?.length || control.getAttribute('aria-label') || control.getAttribute('aria-labelledby');
        return !labelled && !(control.tagName === 'BUTTON' && control.textContent?.trim());
      })
      .map((control) => `${control.tagName.toLowerCase()}#${control.id}`),
  );
}

/** A supergraph of its own, a signed-up shopper, one stocked product, and Chromium signed in as the shopper. */
export interface ShopWithProduct {
  supergraph: TestSupergraph;
  shopper: Customer;
  productId: string;
  shop: StorefrontBrowser;
  close(): Promise<void>;
}

export async function openShopWithProduct(options: { suite: string; shopperName: string; productName: string; units: number }): Promise<ShopWithProduct> {
  const supergraph = await startTestSupergraph();
  const shopper = await signUpCustomer(supergraph, options.shopperName);
  const productId = await stockedProduct(supergraph, options.productName, options.units);
  const shop = await openStorefront(supergraph, options.suite, shopper.session);
  return {
    supergraph,
    shopper,
    productId,
    shop,
    async close() {
      await shop.close();
      await shopper.client.dispose();
      await supergraph.close();
    },
  };
}
