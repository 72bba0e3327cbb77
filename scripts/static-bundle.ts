/**
 * One home for building the single pages the gateway serves (the explorer, the storefront):
 * esbuild bundles an entry into one script and one stylesheet, index.html references them by
 * content hash, and `--check` rebuilds in memory and fails when the committed files differ.
 *
 * Determinism: the output depends only on the pinned package versions and the sources. esbuild
 * is deterministic for identical input; no timestamps, absolute paths or source maps are
 * emitted (the working directory is pinned to the repository root, so even esbuild's internal
 * paths are relative).
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type BuildOptions } from 'esbuild';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface StaticPage {
  /** Served under this URL path, for example /explorer. */
  urlPath: string;
  /** Base name of the script and stylesheet: <name>.js, <name>.css. */
  name: string;
  /** Entry module, relative to the repository root. */
  entry: string;
  /** Output folder, relative to the repository root. */
  outDir: string;
  title: string;
  /** id of the element the page mounts into, and what it shows before the script runs. */
  mountId: string;
  loadingText: string;
  noscriptText: string;
  /** The npm script that writes this page, named when it is stale. */
  command: string;
  define?: Record<string, string>;
  /** Rules appended to the bundled stylesheet. */
  extraCss?: string;
  esbuild?: Pick<BuildOptions, 'jsx' | 'jsxImportSource'>;
}

function contentHash(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex').slice(0, 16);
}

function indexHtml(page: StaticPage, jsHash: string, cssHash: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${page.title}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${page.urlPath}/${page.name}.css?v=${cssHash}">
</head>
<body>
<div id="${page.mountId}">${page.loadingText}</div>
<noscript>${page.noscriptText}</noscript>
<script src="${page.urlPath}/${page.name}.js?v=${jsHash}"></script>
</body>
</html>
`;
}

export async function bundlePage(page: StaticPage): Promise<Map<string, Buffer>> {
  const result = await build({
    entryPoints: [page.entry],
    absWorkingDir: repoRoot,
    bundle: true,
    write: false,
    outfile: path.join(repoRoot, page.outDir, `${page.name}.js`),
    format: 'iife',
    platform: 'browser',
    target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
    minify: true,
    sourcemap: false,
    legalComments: 'eof',
    charset: 'ascii',
    define: { 'process.env.NODE_ENV': '"production"', ...page.define },
    logLevel: 'warning',
    ...page.esbuild,
  });

  const files = new Map<string, Buffer>();
  for (const file of result.outputFiles) files.set(path.basename(file.path), Buffer.from(file.contents));
  const js = files.get(`${page.name}.js`);
  const css = files.get(`${page.name}.css`);
  if (!js || !css) {
    throw new Error(`esbuild produced ${[...files.keys()].join(', ')}; expected ${page.name}.js and ${page.name}.css`);
  }
  const fullCss = Buffer.concat([css, Buffer.from(page.extraCss ?? '')]);
  return new Map([
    ['index.html', Buffer.from(indexHtml(page, contentHash(js), contentHash(fullCss)))],
    [`${page.name}.js`, js],
    [`${page.name}.css`, fullCss],
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

/** Writes the page's files, or with --check reports the stale ones and sets exit code 1. */
export async function buildOrCheck(page: StaticPage, argv = process.argv): Promise<void> {
  const files = await bundlePage(page);
  const outDir = path.join(repoRoot, page.outDir);
  if (argv.includes('--check')) {
    const stale: string[] = [];
    for (const [name, contents] of files) {
      const current = await readIfExists(path.join(outDir, name));
      if (!current || !current.equals(contents)) stale.push(`${page.outDir}/${name}`);
    }
    if (stale.length > 0) {
      console.error(`${page.title} bundle is stale: ${stale.join(', ')}. Run: ${page.command}`);
      process.exitCode = 1;
      return;
    }
    console.log(`${page.title} bundle in ${page.outDir} is up to date.`);
    return;
  }
  await mkdir(outDir, { recursive: true });
  for (const [name, contents] of files) {
    await writeFile(path.join(outDir, name), contents);
    console.log(`${page.outDir}/${name}  ${(contents.length / 1024).toFixed(1)} KiB`);
  }
}
