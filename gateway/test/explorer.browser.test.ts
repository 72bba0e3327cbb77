/**
 * Browser test of the offline GraphQL explorer served at /explorer.
 *
 * Drives Debian's Chromium (/usr/bin/chromium, `apt-get install -y chromium`)
 * through playwright-core. Without Chromium the test is skipped locally; with
 * CI=true a missing browser is a failure. CHROMIUM_PATH overrides the browser
 * path; EXPLORER_SCREENSHOT_DIR=<dir> saves a PNG after each check.
 *
 *   node --import tsx --test gateway/test/explorer.browser.test.ts
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, afterEach, before, describe, test } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { createExplorerHandler } from '../src/explorer/index.js';
import { startTestSupergraph } from '../../test/support/start-test-supergraph.js';
import { browserSkipReason, CHROMIUM_ARGS, CHROMIUM_PATH, chromiumMissing, inCI } from '../../test/support/headless-chromium.js';
import { TEST_DESTINATION } from '../../subgraphs/orders/test/support/storefront-operations.js';

// ---------------------------------------------------------------------------
// Target under test: the real gateway in front of every subgraph, on free ports, with a
// customer who has an order, so the subscription has something to follow.
// ---------------------------------------------------------------------------

interface ExplorerTarget {
  /** Origin of the gateway, e.g. http://127.0.0.1:1234 (explorer at /explorer, API at /graphql). */
  url: string;
  /** The Authorization header value the explorer's headers editor sends. */
  authorization: string;
  /** An order of the signed-in customer. */
  orderId: string;
  close(): Promise<void>;
}

/** What the browser checks expect from the supergraph's schema and data. */
const TARGET = {
  /** A type name that the docs explorer must list (reachable from a root type). */
  docsTypeName: 'Product',
  /** A field of the Query type that the docs explorer must show. */
  docsQueryField: 'products',
  query: 'query ProductName {\n  product(id: "prod_0000001") {\n    id\n    name\n    stock\n  }\n}\n',
  /** Text that must appear in the result pane after running the query. */
  queryResultText: '"id": "prod_0000001"',
  subscription: (orderId: string) => `subscription OrderStatus {\n  orderStatusChanged(orderId: "${orderId}") {\n    id\n    status\n  }\n}\n`,
  /** Text that shows a subscription event arrived in the result pane. */
  subscriptionEventText: (orderId: string) => `"id": "${orderId}"`,
} as const;

async function startExplorerTarget(): Promise<ExplorerTarget> {
  const supergraph = await startTestSupergraph();
  const token = await supergraph.token('explorer-customer');
  const added = await supergraph.query(`mutation { addToCart(productId: "prod_0000002", quantity: 1) { id } }`, {}, token);
  assert.equal(added.errors, undefined, JSON.stringify(added.errors));
  const checkout = await supergraph.query<{ checkout: { id: string } }>(`mutation { checkout(idempotencyKey: "explorer-order", ${TEST_DESTINATION}) { id } }`, {}, token);
  assert.equal(checkout.errors, undefined, JSON.stringify(checkout.errors));
  return {
    url: supergraph.gatewayUrl.replace(/\/graphql$/, ''),
    authorization: `Bearer ${token}`,
    orderId: checkout.data!.checkout.id,
    close: () => supergraph.close(),
  };
}

// ---------------------------------------------------------------------------
// Browser checks (independent of the target).
// ---------------------------------------------------------------------------

/** Optional folder for a PNG after each check, for looking at what the browser showed. */
const SCREENSHOT_DIR = process.env.EXPLORER_SCREENSHOT_DIR;
const WAIT_MS = 20_000;

const skipReason = browserSkipReason('explorer browser test');

/** Reads the full text of the CodeMirror 5 editor inside `selector` (the DOM only holds visible lines). */
async function editorText(page: Page, selector: string): Promise<string> {
  return page.evaluate((sel) => {
    const host = document.querySelector(sel)?.querySelector('.CodeMirror') as
      | (Element & { CodeMirror?: { getValue(): string } })
      | null
      | undefined;
    return host?.CodeMirror?.getValue() ?? '';
  }, selector);
}

/** Replaces the text of a CodeMirror 5 editor the same way typing would (fires change events). */
async function setEditorText(page: Page, selector: string, text: string): Promise<void> {
  await page.waitForFunction(
    (sel) => Boolean((document.querySelector(sel)?.querySelector('.CodeMirror') as { CodeMirror?: unknown } | null)?.CodeMirror),
    selector,
    { timeout: WAIT_MS },
  );
  await page.evaluate(
    ({ sel, value }) => {
      const host = document.querySelector(sel)!.querySelector('.CodeMirror') as Element & {
        CodeMirror: { setValue(v: string): void };
      };
      host.CodeMirror.setValue(value);
    },
    { sel: selector, value: text },
  );
}

/**
 * Opens a new editor tab holding `operation` and waits until GraphiQL has
 * parsed it: the active tab is labelled with the operation name only after
 * GraphiQL's (debounced) editor state caught up, so executing before that
 * would send the previous operation name.
 */
async function openTabWith(page: Page, operation: string, headers?: string): Promise<void> {
  const operationName = /^\s*(?:query|mutation|subscription)\s+(\w+)/m.exec(operation)?.[1];
  assert.ok(operationName, `operation must be named: ${operation}`);
  const tabs = page.locator('.graphiql-tabs .graphiql-tab');
  const tabCount = await tabs.count();
  // With a single tab GraphiQL renders no tab list, so a new tab adds two items. A click that
  // lands while GraphiQL re-renders its tab bar is lost (seen on a loaded machine: no new tab
  // in 20 s), so a click that added nothing within 2 s is made again; an extra tab is harmless.
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    await page.getByRole('button', { name: 'Add tab' }).click();
    const added = await page
      .waitForFunction((count) => document.querySelectorAll('.graphiql-tabs .graphiql-tab').length > Math.max(count, 1), tabCount, { timeout: 2_000 })
      .then(
        () => true,
        () => false,
      );
    if (added) break;
    if (Date.now() > deadline) assert.fail(`GraphiQL added no tab in ${WAIT_MS} ms`);
  }
  await setEditorText(page, '.graphiql-query-editor', operation);
  if (headers !== undefined) {
    await page.getByRole('button', { name: 'Headers' }).click();
    await setEditorText(page, '.graphiql-editor-tool .graphiql-editor:not(.hidden)', headers);
  }
  await page
    .locator('.graphiql-tab-active .graphiql-tab-button', { hasText: new RegExp(`^${operationName}$`) })
    .waitFor({ timeout: WAIT_MS });
}

async function waitForResultContaining(page: Page, text: string): Promise<string> {
  try {
    await page.waitForFunction(
      (expected) => {
        const host = document.querySelector('.graphiql-response .CodeMirror') as
          | (Element & { CodeMirror?: { getValue(): string } })
          | null;
        return host?.CodeMirror?.getValue().includes(expected) ?? false;
      },
      text,
      { timeout: WAIT_MS },
    );
  } catch (err) {
    const shown = await editorText(page, '.graphiql-response');
    throw new Error(`Result pane never showed ${JSON.stringify(text)}; it shows:\n${shown}`, { cause: err });
  }
  return editorText(page, '.graphiql-response');
}

describe('GraphQL explorer over HTTP', () => {
  let target: ExplorerTarget;
  before(async () => {
    target = await startExplorerTarget();
  });
  after(async () => {
    await target.close();
  });

  test('serves the page and its assets with content types, ETags and cache headers', async () => {
    const page = await fetch(`${target.url}/explorer`);
    assert.equal(page.status, 200);
    assert.equal(page.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(page.headers.get('cache-control'), 'no-cache');
    assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'self'/);
    const html = await page.text();
    const assetUrls = [...html.matchAll(/(?:src|href)="(\/explorer\/[^"]+)"/g)].map((m) => m[1]!);
    assert.equal(assetUrls.length, 2, `index.html references the script and the stylesheet: ${html}`);

    for (const assetUrl of assetUrls) {
      const asset = await fetch(`${target.url}${assetUrl}`);
      assert.equal(asset.status, 200, assetUrl);
      assert.match(asset.headers.get('content-type') ?? '', assetUrl.includes('.js') ? /^text\/javascript/ : /^text\/css/);
      assert.match(asset.headers.get('cache-control') ?? '', /immutable/, 'hashed asset URLs are cached for good');
      const etag = asset.headers.get('etag');
      assert.ok(etag, 'assets carry an ETag');
      await asset.arrayBuffer();
      const revalidated = await fetch(`${target.url}${assetUrl}`, { headers: { 'if-none-match': etag } });
      assert.equal(revalidated.status, 304, assetUrl);
    }

    const slash = await fetch(`${target.url}/explorer/`);
    assert.equal(slash.status, 200);
    assert.equal(await slash.text(), html);
  });

  test('leaves other paths to the rest of the server', async () => {
    const createdHandler = createExplorerHandler();
    let handled: boolean | undefined;
    const server = createServer((req, res) => {
      handled = createdHandler(req, res);
      if (!handled) {
        res.writeHead(204);
        res.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      for (const [urlPath, expected] of [
        ['/graphql', false],
        ['/explorerx', false],
        ['/', false],
        ['/explorer?x=1', true],
        ['/explorer/missing.js', true],
      ] as const) {
        const response = await fetch(`${base}${urlPath}`);
        await response.arrayBuffer();
        assert.equal(handled, expected, urlPath);
        if (urlPath === '/explorer/missing.js') assert.equal(response.status, 404);
      }
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

if (chromiumMissing && inCI) {
  test('Chromium is installed for the explorer browser test', () => {
    assert.fail(`CI is set but Chromium is missing at ${CHROMIUM_PATH}; install it with "apt-get install -y chromium"`);
  });
}

describe('GraphQL explorer in a browser', { skip: skipReason }, () => {
  let target: ExplorerTarget | undefined;
  let browser: Browser | undefined;
  let context: BrowserContext;
  let page: Page;
  const requestedUrls: string[] = [];
  const pageErrors: string[] = [];
  const consoleErrors: string[] = [];
  const graphqlPostHeaders: Record<string, string>[] = [];
  const graphqlPostBodies: { operationName?: string; variables?: Record<string, unknown> }[] = [];

  before(async () => {
    target = await startExplorerTarget();
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
    context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    // Context-wide, so requests of any page or worker are seen too.
    context.on('request', (request) => {
      requestedUrls.push(request.url());
      if (request.method() === 'POST' && new URL(request.url()).pathname === '/graphql') {
        graphqlPostHeaders.push(request.headers());
        graphqlPostBodies.push(JSON.parse(request.postData() ?? '{}') as { operationName?: string; variables?: Record<string, unknown> });
      }
    });
    page = await context.newPage();
    page.on('websocket', (ws) => requestedUrls.push(ws.url()));
    page.on('pageerror', (err) => pageErrors.push(String(err)));
    page.on('console', (msg) => {
      if (msg.type() === 'error') consoleErrors.push(msg.text());
    });

    const response = await page.goto(`${target.url}/explorer`, { waitUntil: 'load', timeout: WAIT_MS });
    assert.equal(response?.status(), 200);
    await page.locator('.graphiql-container').waitFor({ timeout: WAIT_MS });
    // The editors are mounted; the checks below wait for the schema where they need it.
    await page.locator('.graphiql-query-editor .CodeMirror').waitFor({ timeout: WAIT_MS });
  });

  afterEach(async (t) => {
    if (!SCREENSHOT_DIR || !page) return;
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    const name = t.name.replace(/[^a-z0-9]+/gi, '-').toLowerCase();
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, `explorer-${name}.png`) });
  });

  after(async () => {
    await browser?.close();
    await target?.close();
  });

  test('loads without page errors', () => {
    assert.deepEqual(pageErrors, []);
    assert.deepEqual(
      consoleErrors.filter((text) => /Content Security Policy|Refused to/i.test(text)),
      [],
      'no Content-Security-Policy violations',
    );
  });

  test('opens with the golden operations as tabs, the guide and a headers template', async () => {
    const labels = await page.locator('.graphiql-tabs .graphiql-tab-button').allTextContents();
    for (const name of ['LogIn', 'SearchProducts', 'AddToCart', 'Checkout', 'OrderStatus']) {
      assert.ok(labels.includes(name), `a tab for ${name}; tabs: ${labels.join(', ')}`);
    }
    assert.equal(labels[0], 'LogIn', 'the first tab signs in');
    const guide = page.locator('.storefront-guide');
    await guide.waitFor({ timeout: WAIT_MS });
    const text = await guide.innerText();
    for (const topic of ['Log in', 'minor unit', 'idempotencyKey', 'DELIVERED']) assert.ok(text.includes(topic), `the guide covers ${topic}`);
  });

  test('the tab it opens on, LogIn, runs as it is: its example variables are in the variables editor', async () => {
    // Before anything else touches the page: what a first visitor sees and runs first.
    assert.equal(await page.locator('.graphiql-tab-active .graphiql-tab-button').textContent(), 'LogIn');
    await page.waitForFunction(() => {
      const editors = [...document.querySelectorAll('.graphiql-editor-tool .graphiql-editor .CodeMirror')] as (Element & { CodeMirror?: { getValue(): string } })[];
      return editors.some((host) => host.CodeMirror?.getValue().includes('"email"'));
    }, undefined, { timeout: WAIT_MS }).catch(() => undefined);
    const variables = await page.evaluate(() =>
      ([...document.querySelectorAll('.graphiql-editor-tool .graphiql-editor .CodeMirror')] as (Element & { CodeMirror?: { getValue(): string } })[]).map((host) => host.CodeMirror?.getValue() ?? ''),
    );
    assert.ok(variables.some((text) => text.includes('"admin@storefront.test"')), `the variables editor holds LogIn's example: ${JSON.stringify(variables)}`);
    const before = graphqlPostBodies.length;
    await page.locator('.graphiql-execute-button').click();
    const shown = await waitForResultContaining(page, '"logIn"');
    assert.doesNotMatch(shown, /was not provided/);
    const sent = graphqlPostBodies.slice(before);
    assert.deepEqual(sent.map((body) => [body.operationName, body.variables?.email]), [['LogIn', 'admin@storefront.test']]);
  });

  test('a query run right after replacing the example is sent under its own name', async () => {
    await page.locator('.graphiql-tab-button', { hasText: /^LogIn$/ }).click();
    const before = graphqlPostBodies.length;
    // No waiting for GraphiQL to catch up with the edit: that is when the old name was sent.
    await setEditorText(page, '.graphiql-query-editor', TARGET.query);
    await page.locator('.graphiql-execute-button').click();
    await waitForResultContaining(page, TARGET.queryResultText);
    assert.deepEqual(graphqlPostBodies.slice(before).map((body) => body.operationName), ['ProductName']);
  });

  test('after LogIn, the signed-in tabs send its token in place of <accessToken>', async () => {
    await page.locator('.graphiql-tab-button', { hasText: /^SignUp$/ }).click();
    await page.getByRole('button', { name: 'Variables' }).click();
    await setEditorText(
      page,
      '.graphiql-editor-tool .graphiql-editor:not(.hidden)',
      JSON.stringify({ input: { email: 'explorer-guide@example.com', password: 'correct horse battery staple', name: 'Guide' } }),
    );
    await page.locator('.graphiql-execute-button').click();
    await waitForResultContaining(page, '"accessToken"');
    await page.locator('.graphiql-tab-button', { hasText: /^Cart$/ }).click();
    const before = graphqlPostHeaders.length;
    await page.locator('.graphiql-execute-button').click();
    await waitForResultContaining(page, '"totalQuantity": 0');
    const sent = graphqlPostHeaders.slice(before);
    assert.ok(sent.some((headers) => /^Bearer [\w-]+\.[\w-]+\.[\w-]+$/.test(headers.authorization ?? '')), `the Cart request carried the token: ${JSON.stringify(sent)}`);
  });

  test('the docs explorer lists the schema types', async () => {
    await page.getByRole('button', { name: 'Show Documentation Explorer' }).click();
    const docs = page.locator('.graphiql-doc-explorer');
    await docs.waitFor({ timeout: WAIT_MS });
    // Root types appear once introspection has completed.
    await docs.locator('.graphiql-doc-explorer-type-name', { hasText: /^Query$/ }).first().click({ timeout: WAIT_MS });
    await docs
      .locator('.graphiql-doc-explorer-field-name', { hasText: new RegExp(`^${TARGET.docsQueryField}$`) })
      .first()
      .waitFor({ timeout: WAIT_MS });
    await docs
      .locator('.graphiql-doc-explorer-type-name', { hasText: new RegExp(`^${TARGET.docsTypeName}$`) })
      .first()
      .waitFor({ timeout: WAIT_MS });
  });

  test('running a query shows data in the result pane', async () => {
    await openTabWith(page, TARGET.query);
    await page.locator('.graphiql-execute-button').click();
    const result = await waitForResultContaining(page, TARGET.queryResultText);
    assert.match(result, /"data"/);
  });

  test('the headers editor sends its headers with requests', async () => {
    await openTabWith(page, TARGET.query, JSON.stringify({ Authorization: target!.authorization }));
    const before = graphqlPostHeaders.length;
    await page.locator('.graphiql-execute-button').click();
    await waitForResultContaining(page, TARGET.queryResultText);
    const sent = graphqlPostHeaders.slice(before);
    assert.ok(
      sent.some((headers) => headers.authorization === target!.authorization),
      `a POST /graphql carried the Authorization header; saw ${JSON.stringify(sent)}`,
    );
  });

  test('a subscription streams events into the result pane', async () => {
    await openTabWith(page, TARGET.subscription(target!.orderId), JSON.stringify({ Authorization: target!.authorization }));
    await page.locator('.graphiql-execute-button').click();
    const result = await waitForResultContaining(page, TARGET.subscriptionEventText(target!.orderId));
    assert.match(result, /"data"/);
    assert.ok(
      requestedUrls.some((url) => url.startsWith('ws://') || url.startsWith('wss://')),
      'the subscription went over a WebSocket',
    );
  });

  test('keeps no password, access token or query it was given in the browser, only its layout', async () => {
    // Run above: SignUp's password in the variables pane, a pasted token in the headers pane.
    const kept = await page.evaluate(() => {
      const entries: Record<string, string> = {};
      for (const store of [localStorage, sessionStorage]) {
        for (let i = 0; i < store.length; i++) entries[store.key(i)!] = store.getItem(store.key(i)!) ?? '';
      }
      return entries;
    });
    const text = JSON.stringify(kept);
    assert.ok(!text.includes('correct horse battery staple'), `a password is kept: ${text.slice(0, 300)}`);
    assert.ok(!text.includes(target!.authorization.replace(/^Bearer /, '')), `an access token is kept: ${text.slice(0, 300)}`);
    assert.ok(!text.includes('orderStatusChanged'), 'an operation run here is kept');
    assert.deepEqual(
      Object.keys(kept).filter((key) => !/^graphiql:(theme|editorFlex|secondaryEditorFlex|docExplorerFlex|visiblePlugin)$/.test(key)),
      [],
      'only the theme and the panes\' sizes outlive the page',
    );
  });

  test('no request leaves the local origin', () => {
    const origin = new URL(target!.url);
    const wsOrigin = `${origin.protocol === 'https:' ? 'wss:' : 'ws:'}//${origin.host}`;
    assert.ok(requestedUrls.length > 0, 'requests were recorded');
    // data: URLs (inlined fonts) are decoded in the browser, not fetched.
    const foreign = requestedUrls.filter((url) => {
      if (url.startsWith('data:')) return false;
      const parsed = new URL(url);
      return parsed.origin !== origin.origin && `${parsed.protocol}//${parsed.host}` !== wsOrigin;
    });
    assert.deepEqual(foreign, [], 'every request stays on the explorer origin');
  });
});
