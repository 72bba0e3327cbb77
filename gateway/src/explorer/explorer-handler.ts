import { fileURLToPath } from 'node:url';
import { createStaticPageHandler, type StaticPageHandler } from '../http/static-page-handler.js';

/** Returns true when it answered the request, false when the path is not the explorer's. */
export type ExplorerHandler = StaticPageHandler;

export interface ExplorerHandlerOptions {
  /** Folder holding index.html, explorer.js and explorer.css. Defaults to gateway/explorer/dist. */
  distDir?: string;
}

/** URL prefix the explorer is served under. */
export const EXPLORER_PATH = '/explorer';

/** Built by scripts/build-explorer.ts. */
export const DEFAULT_EXPLORER_DIST_DIR = fileURLToPath(new URL('../../explorer/dist/', import.meta.url));

/** Serves the bundled GraphiQL explorer at /explorer (see createStaticPageHandler). */
export function createExplorerHandler(options: ExplorerHandlerOptions = {}): ExplorerHandler {
  return createStaticPageHandler({
    path: EXPLORER_PATH,
    distDir: options.distDir ?? DEFAULT_EXPLORER_DIST_DIR,
    assets: [
      { name: 'explorer.js', contentType: 'text/javascript; charset=utf-8' },
      { name: 'explorer.css', contentType: 'text/css; charset=utf-8' },
    ],
    buildCommand: 'npm run build:explorer',
  });
}
