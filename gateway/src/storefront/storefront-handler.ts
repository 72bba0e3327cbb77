import { fileURLToPath } from 'node:url';
import { createStaticPageHandler, type StaticPageHandler } from '../http/static-page-handler.js';

/** URL prefix the storefront page is served under. */
export const STOREFRONT_PATH = '/shop';

/** Built by scripts/build-storefront.ts from web/storefront. */
export const DEFAULT_STOREFRONT_DIST_DIR = fileURLToPath(new URL('../../../web/storefront/dist/', import.meta.url));

/**
 * Paths the account mails link to (services/notifications, account-mail-draft.ts:
 * `<ACCOUNT_LINK_BASE_URL>/reset-password#token=...`): the page answers there too and reads the
 * token from after the #, which never reaches a server or a log.
 */
export const STOREFRONT_LINK_PAGES = ['reset-password', 'verify-email'] as const;

/** Serves the bundled storefront web page at /shop; its routes live after the # of the URL. */
export function createStorefrontHandler(distDir = DEFAULT_STOREFRONT_DIST_DIR): StaticPageHandler {
  return createStaticPageHandler({
    path: STOREFRONT_PATH,
    distDir,
    assets: [
      { name: 'storefront.js', contentType: 'text/javascript; charset=utf-8' },
      { name: 'storefront.css', contentType: 'text/css; charset=utf-8' },
    ],
    buildCommand: 'npm run build:storefront',
    pages: STOREFRONT_LINK_PAGES,
  });
}
