/**
 * Builds the storefront web page the gateway serves at /shop, from web/storefront/src (Preact,
 * using only the typed client in clients/typescript): one script, one stylesheet, no network.
 *
 *   tsx scripts/build-storefront.ts           write web/storefront/dist/{index.html,storefront.js,storefront.css}
 *   tsx scripts/build-storefront.ts --check   rebuild in memory, exit 1 if the committed files are stale
 */
import path from 'node:path';
import { buildOrCheck } from './static-bundle.js';

await buildOrCheck({
  urlPath: '/shop',
  name: 'storefront',
  entry: path.join('web', 'storefront', 'src', 'main.tsx'),
  outDir: path.join('web', 'storefront', 'dist'),
  title: 'Storefront',
  mountId: 'storefront',
  loadingText: 'Loading the store…',
  noscriptText: 'The store needs JavaScript.',
  command: 'npm run build:storefront',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
});
