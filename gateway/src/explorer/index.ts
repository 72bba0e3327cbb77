export {
  createExplorerHandler,
  DEFAULT_EXPLORER_DIST_DIR,
  EXPLORER_PATH,
  type ExplorerHandler,
  type ExplorerHandlerOptions,
} from './explorer-handler.js';
