/**
 * Builds the offline GraphQL explorer that the gateway serves at /explorer.
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
 *
 * Determinism: the output depends only on the pinned package versions and this
 * file. esbuild is deterministic for identical input; no timestamps, absolute
 * paths or source maps are emitted (the working directory is pinned to the
 * repository root, so even esbuild's internal paths are relative). The content
 * hashes in index.html are derived from the generated files, so CI can rebuild
 * and diff (or run with --check).
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = path.join(repoRoot, 'gateway', 'explorer', 'dist');

/** Browser entry point. Plain JS so it needs no JSX or React type setup. */
const ENTRY_SOURCE = String.raw`
import { createElement } from 'react';
import { createRoot } from 'react-dom/client';
import { GraphiQL } from 'graphiql';
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import 'graphiql/graphiql.css';

const wsProtocol = location.protocol === 'https:' ? 'wss:' : 'ws:';

// Queries and mutations go over HTTP POST; subscriptions go over the
// graphql-ws protocol on the same path. Headers from the Headers tab are sent
// as HTTP headers, and as connection_init payload for subscriptions.
const fetcher = createGraphiQLFetcher({
  url: location.origin + '/graphql',
  subscriptionUrl: wsProtocol + '//' + location.host + '/graphql',
});

const DEFAULT_QUERY = [
  '# Storefront GraphQL explorer',
  '#',
  '# Docs: book icon on the left.',
  '# Auth: in the Headers tab below, add',
  '#   { "Authorization": "Bearer <token>" }',
  '# Subscriptions run over WebSocket (graphql-ws).',
  '# Run: Ctrl-Enter, or the play button.',
  '',
  'query Example {',
  '  __typename',
  '}',
  '',
].join('\n');

function Explorer() {
  return createElement(GraphiQL, {
    fetcher,
    defaultQuery: DEFAULT_QUERY,
    defaultTabs: [{ query: DEFAULT_QUERY, headers: '' }],
    defaultEditorToolsVisibility: 'headers',
    isHeadersEditorEnabled: true,
    // Tokens stay in memory only, never in localStorage.
    shouldPersistHeaders: false,
  }, createElement(GraphiQL.Logo, null, 'Storefront'));
}

createRoot(document.getElementById('graphiql')).render(createElement(Explorer));
`;

/** Layout rules appended to GraphiQL's stylesheet. */
const EXTRA_CSS = `
html,body{height:100%;margin:0;overflow:hidden}
#graphiql{height:100vh}
`;

function contentHash(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex').slice(0, 16);
}

function indexHtml(jsHash: string, cssHash: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Storefront GraphQL Explorer</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/explorer/explorer.css?v=${cssHash}">
</head>
<body>
<div id="graphiql">Loading explorer…</div>
<noscript>The GraphQL explorer needs JavaScript.</noscript>
<script src="/explorer/explorer.js?v=${jsHash}"></script>
</body>
</html>
`;
}

async function bundle(): Promise<Map<string, Buffer>> {
  const result = await build({
    stdin: {
      contents: ENTRY_SOURCE,
      loader: 'js',
      resolveDir: repoRoot,
      sourcefile: 'explorer-entry.js',
    },
    absWorkingDir: repoRoot,
    bundle: true,
    write: false,
    outfile: path.join(outDir, 'explorer.js'),
    format: 'iife',
    platform: 'browser',
    target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
    minify: true,
    sourcemap: false,
    legalComments: 'eof',
    charset: 'ascii',
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'warning',
  });

  const files = new Map<string, Buffer>();
  for (const file of result.outputFiles) {
    files.set(path.basename(file.path), Buffer.from(file.contents));
  }
  const js = files.get('explorer.js');
  const css = files.get('explorer.css');
  if (!js || !css) {
    throw new Error(`esbuild produced ${[...files.keys()].join(', ')}; expected explorer.js and explorer.css`);
  }
  const fullCss = Buffer.concat([css, Buffer.from(EXTRA_CSS)]);
  return new Map([
    ['index.html', Buffer.from(indexHtml(contentHash(js), contentHash(fullCss)))],
    ['explorer.js', js],
    ['explorer.css', fullCss],
  ]);
}

async function readIfExists(file: string): Promise<Buffer | undefined> {
  try {
    return await readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

async function main(): Promise<void> {
  const check = process.argv.includes('--check');
  const files = await bundle();
  const rel = path.relative(repoRoot, outDir);

  if (check) {
    const stale: string[] = [];
    for (const [name, contents] of files) {
      const current = await readIfExists(path.join(outDir, name));
      if (!current || !current.equals(contents)) stale.push(`${rel}/${name}`);
    }
    if (stale.length > 0) {
      console.error(`Explorer bundle is stale: ${stale.join(', ')}. Run: npm run build:explorer`);
      process.exitCode = 1;
      return;
    }
    console.log(`Explorer bundle in ${rel} is up to date.`);
    return;
  }

  await mkdir(outDir, { recursive: true });
  for (const [name, contents] of files) {
    await writeFile(path.join(outDir, name), contents);
    console.log(`${rel}/${name}  ${(contents.length / 1024).toFixed(1)} KiB`);
  }
}

await main();
