/**
 * Builds the offline GraphQL explorer that the gateway serves at /explorer: GraphiQL opening
 * with the golden operations as tabs, a headers template for the token and a short guide
 * (gateway/explorer/src).
 *
 *   tsx scripts/build-explorer.ts           write gateway/explorer/dist/{index.html,explorer.js,explorer.css}
 *   tsx scripts/build-explorer.ts --check   rebuild in memory, exit 1 if the committed files are stale
 *
 * Why GraphiQL 3 (CodeMirror 5) and not GraphiQL 4/5 (Monaco):
 * - The explorer must work with no internet access at all. GraphiQL 3 is plain
 *   React + CodeMirror 5: it runs entirely on the main thread, its fonts are
 *   inlined as data: URIs in its stylesheet, and esbuild inlines every dynamic
 *   import, so the result is exactly one script and one stylesheet.
 * - GraphiQL 4/5 embed Monaco, which runs its language services in web
 *   workers. Those have to be emitted as separate worker bundles and wired up
 *   through MonacoEnvironment.getWorker; the stock setup (and most examples)
 *   load them, or Monaco itself, from a CDN. That is more moving parts for no
 *   gain for a schema browser / query runner.
 * - GraphiQL 3 supports React 18, graphql 16 and graphql-ws >= 4.5, all of
 *   which the project already uses.
 */
import path from 'node:path';
import { OPERATIONS_DIR, readGoldenOperations } from '../schema/golden-operations.js';
import { buildOrCheck, repoRoot } from './static-bundle.js';

/** Layout rules appended to GraphiQL's stylesheet. */
const EXTRA_CSS = `
html,body{height:100%;margin:0;overflow:hidden}
#graphiql{height:100vh}
.storefront-guide{overflow-y:auto;line-height:1.45}
.storefront-guide h3{font-size:1em;margin:1em 0 .25em}
.storefront-guide p{margin:.25em 0}
.storefront-guide code{font-size:.9em;background:hsla(var(--color-neutral),var(--alpha-background-light));padding:0 .2em;border-radius:3px}
`;


/**
 * Browser sources (gateway/explorer/src): plain JS, so they need no JSX or React type setup.
 * The golden operations (schema/operations) are built in as the opening tabs, so the bundle is
 * stale when they change.
 */
await buildOrCheck({
  urlPath: '/explorer',
  name: 'explorer',
  entry: path.join('gateway', 'explorer', 'src', 'explorer-entry.js'),
  outDir: path.join('gateway', 'explorer', 'dist'),
  title: 'Storefront GraphQL Explorer',
  mountId: 'graphiql',
  loadingText: 'Loading explorer…',
  noscriptText: 'The GraphQL explorer needs JavaScript.',
  command: 'npm run build:explorer',
  define: { GOLDEN_OPERATIONS: JSON.stringify(readGoldenOperations(path.join(repoRoot, OPERATIONS_DIR))) },
  extraCss: EXTRA_CSS,
});
