/**
 * The gateway's /shop handler over real HTTP: the page also answers at the paths account mails
 * link to (their token stays after the #), with the page's security headers; any other path
 * under /shop is still 404.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { createStorefrontHandler, STOREFRONT_LINK_PAGES } from '../../../gateway/src/storefront/index.js';

let server: Server;
let origin: string;

before(async () => {
  const handle = createStorefrontHandler();
  server = createServer((req, res) => {
    if (!handle(req, res)) res.writeHead(418).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

test('the mailed links land on the storefront page, with its content security policy and never cached', async () => {
  const page = await (await fetch(`${origin}/shop`)).text();
  assert.deepEqual([...STOREFRONT_LINK_PAGES], ['reset-password', 'verify-email']);
  for (const link of STOREFRONT_LINK_PAGES) {
    const response = await fetch(`${origin}/shop/${link}?utm_source=mail`);
    assert.equal(response.status, 200, link);
    assert.equal(await response.text(), page, `${link} is the page itself`);
    assert.match(response.headers.get('content-security-policy') ?? '', /default-src 'self'/);
    assert.equal(response.headers.get('referrer-policy'), 'no-referrer', 'a token in the address is not passed on');
    assert.equal(response.headers.get('cache-control'), 'no-cache');
  }
});

test('other paths under /shop are 404, other methods 405, and paths outside it are left to the rest of the server', async () => {
  for (const path of ['/shop/reset-password/extra', '/shop/reset', '/shop/../shop/verify-email2', '/shop/RESET-PASSWORD']) {
    const response = await fetch(`${origin}${path}`);
    assert.equal(response.status, 404, path);
    await response.arrayBuffer();
  }
  const post = await fetch(`${origin}/shop/reset-password`, { method: 'POST', body: 'token=x' });
  assert.equal(post.status, 405);
  await post.arrayBuffer();
  const outside = await fetch(`${origin}/reset-password`);
  assert.equal(outside.status, 418);
  await outside.arrayBuffer();
});
