// The storefront page's public surface for the gateway.
export { createStorefrontHandler, DEFAULT_STOREFRONT_DIST_DIR, STOREFRONT_LINK_PAGES, STOREFRONT_PATH } from './storefront-handler.js';
