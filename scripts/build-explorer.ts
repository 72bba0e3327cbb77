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
import { OPERATIONS_DIR, readGoldenOperations } from '../schema/golden-operations.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = path.join(repoRoot, 'gateway', 'explorer', 'dist');

/**
 * Browser sources: plain JS, so they need no JSX or React type setup. The golden operations
 * (schema/operations) are built in as the opening tabs, so the bundle is stale when they change.
 */
const ENTRY = path.join('gateway', 'explorer', 'src', 'explorer-entry.js');

/** Layout rules appended to GraphiQL's stylesheet. */
const EXTRA_CSS = `
html,body{height:100%;margin:0;overflow:hidden}
#graphiql{height:100vh}
.storefront-guide{overflow-y:auto;line-height:1.45}
.storefront-guide h3{font-size:1em;margin:1em 0 .25em}
.storefront-guide p{margin:.25em 0}
.storefront-guide code{font-size:.9em;background:hsla(var(--color-neutral),var(--alpha-background-light));padding:0 .2em;border-radius:3px}
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
    entryPoints: [ENTRY],
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
    define: { 'process.env.NODE_ENV': '"production"', GOLDEN_OPERATIONS: JSON.stringify(readGoldenOperations(path.join(repoRoot, OPERATIONS_DIR))) },
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
