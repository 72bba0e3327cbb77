import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

/** Returns true when it answered the request, false when the path is not the page's. */
export type StaticPageHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

export interface StaticPageOptions {
  /** URL prefix the page is served under, for example /explorer. */
  path: string;
  /** Folder holding index.html and the assets. */
  distDir: string;
  /** Assets beside index.html, for example explorer.js and explorer.css. */
  assets: readonly { name: string; contentType: string }[];
  /** The command that builds distDir, named when a file is missing. */
  buildCommand: string;
  /**
   * Further paths under `path` that answer with the page itself, for links that must name a
   * path of their own (for example the storefront's mailed reset-password link).
   */
  pages?: readonly string[];
}

const ONE_YEAR_SECONDS = 365 * 24 * 60 * 60;

/**
 * Page policy: everything comes from this origin. Fonts are data: URIs inside
 * the stylesheet. Images are limited to this origin and data: so that markdown
 * in schema descriptions or product data cannot make the browser fetch remote
 * images. connect-src 'self' also covers ws:/wss: to the same host.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'self'",
].join('; ');

interface Asset {
  body: Buffer;
  gzipped: Buffer | undefined;
  contentType: string;
  /** Strong ETag of `body`; the gzip representation gets its own (`gzipEtag`). */
  etag: string;
  gzipEtag: string;
  /** Content hash used as ?v= in index.html; a matching request may be cached forever. */
  version: string;
}

function loadAsset(distDir: string, name: string, contentType: string, buildCommand: string): Asset {
  const file = path.join(distDir, name);
  let body: Buffer;
  try {
    body = readFileSync(file);
  } catch (err) {
    throw new Error(
      `Asset ${name} is missing from ${distDir}; build it with "${buildCommand}"`,
      { cause: err },
    );
  }
  const gzipped = body.length > 1024 ? gzipSync(body, { level: 9 }) : undefined;
  const digest = createHash('sha256').update(body).digest();
  const tag = digest.toString('base64url').slice(0, 27);
  return {
    body,
    gzipped: gzipped && gzipped.length < body.length ? gzipped : undefined,
    contentType,
    etag: `"${tag}"`,
    gzipEtag: `"${tag}-gzip"`,
    // Same hash as the build (scripts/static-bundle.ts) puts into index.html.
    version: digest.toString('hex').slice(0, 16),
  };
}

function acceptsGzip(req: IncomingMessage): boolean {
  const header = req.headers['accept-encoding'];
  if (typeof header !== 'string') return false;
  return header.split(',').some((part) => {
    const [coding, ...params] = part.trim().toLowerCase().split(';');
    if (coding !== 'gzip' && coding !== '*') return false;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

function etagMatches(req: IncomingMessage, etag: string): boolean {
  const header = req.headers['if-none-match'];
  if (typeof header !== 'string') return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}

/**
 * Serves a bundled single page:
 *   GET <path>, <path>/, <path>/index.html  the page
 *   GET <path>/<asset>                       its assets
 *   GET <path>/<page>                        the page again, for each of `pages`
 * Other paths under <path>/ get 404; any path outside it returns false so
 * the caller can route it elsewhere. The files are read (and compressed) once,
 * here, not per request.
 */
export function createStaticPageHandler(options: StaticPageOptions): StaticPageHandler {
  const { path: prefix, distDir, buildCommand } = options;
  const index = loadAsset(distDir, 'index.html', 'text/html; charset=utf-8', buildCommand);
  const routes = new Map<string, Asset>([
    [prefix, index],
    [`${prefix}/`, index],
    [`${prefix}/index.html`, index],
    ...(options.pages ?? []).map((page) => [`${prefix}/${page}`, index] as const),
  ]);
  for (const { name, contentType } of options.assets) routes.set(`${prefix}/${name}`, loadAsset(distDir, name, contentType, buildCommand));

  return (req, res) => {
    const rawUrl = req.url ?? '/';
    const queryStart = rawUrl.indexOf('?');
    const pathname = queryStart === -1 ? rawUrl : rawUrl.slice(0, queryStart);
    if (pathname !== prefix && !pathname.startsWith(`${prefix}/`)) return false;

    const method = req.method ?? 'GET';
    if (method !== 'GET' && method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
      res.end('Method Not Allowed\n');
      return true;
    }

    const asset = routes.get(pathname);
    if (!asset) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' });
      res.end(method === 'HEAD' ? undefined : 'Not Found\n');
      return true;
    }

    const version = new URLSearchParams(queryStart === -1 ? '' : rawUrl.slice(queryStart + 1)).get('v');
    const gzip = asset.gzipped !== undefined && acceptsGzip(req);
    const body = gzip ? asset.gzipped! : asset.body;
    const etag = gzip ? asset.gzipEtag : asset.etag;
    const headers: Record<string, string> = {
      'content-type': asset.contentType,
      etag,
      // The page itself is revalidated every time (cheap 304 thanks to the
      // ETag); assets requested with their content hash never change.
      'cache-control':
        asset !== index && version === asset.version
          ? `public, max-age=${ONE_YEAR_SECONDS}, immutable`
          : 'no-cache',
      'x-content-type-options': 'nosniff',
    };
    if (asset === index) {
      headers['content-security-policy'] = CONTENT_SECURITY_POLICY;
      headers['referrer-policy'] = 'no-referrer';
    }
    if (asset.gzipped) headers.vary = 'Accept-Encoding';

    if (etagMatches(req, etag)) {
      delete headers['content-type'];
      res.writeHead(304, headers);
      res.end();
      return true;
    }

    if (gzip) headers['content-encoding'] = 'gzip';
    headers['content-length'] = String(body.length);
    res.writeHead(200, headers);
    res.end(method === 'HEAD' ? undefined : body);
    return true;
  };
}
