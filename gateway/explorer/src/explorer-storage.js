/**
 * Where GraphiQL keeps its state: what a tab holds (its operation, variables and headers), the
 * history of runs and the favourites live in this page's memory only, so a password typed into
 * LogIn's variables, a refresh token, a reset link's token or an access token pasted into the
 * headers pane ends with the page. GraphiQL's default kept all of them in localStorage for good
 * (its history saves each run's variables and headers whatever shouldPersistHeaders says), where
 * anyone at the browser afterwards, and any script of this origin (the storefront's too), could
 * read them. Only the theme and the panes' sizes outlive the page.
 */

const NAMESPACE = 'graphiql:';
/** GraphiQL's keys that say how the page looks, never what was sent. */
const LAYOUT_KEYS = new Set(['theme', 'editorFlex', 'secondaryEditorFlex', 'docExplorerFlex', 'visiblePlugin'].map((key) => NAMESPACE + key));

/** Runs `work` on the browser's storage, which may refuse (blocked, full); `fallback` then. */
function attempt(work, fallback) {
  try {
    return work();
  } catch {
    return fallback;
  }
}

/**
 * A GraphiQL `storage`: the layout keys in `durable` (the page's localStorage, a function
 * because reading it may throw), everything else in memory. What an earlier explorer left in
 * `durable` under GraphiQL's names is removed at once.
 */
export function createExplorerStorage(durableStorage) {
  const durable = attempt(durableStorage, undefined);
  const memory = new Map();
  const kept = (key) => durable !== undefined && LAYOUT_KEYS.has(key);
  attempt(() => {
    const stale = [];
    for (let i = 0; i < durable.length; i++) {
      const key = durable.key(i);
      if (key && key.startsWith(NAMESPACE) && !LAYOUT_KEYS.has(key)) stale.push(key);
    }
    for (const key of stale) durable.removeItem(key);
  });
  return {
    getItem: (key) => (kept(key) ? attempt(() => durable.getItem(key), null) : (memory.get(key) ?? null)),
    setItem: (key, value) => (kept(key) ? durable.setItem(key, value) : void memory.set(key, String(value))),
    removeItem: (key) => (kept(key) ? attempt(() => durable.removeItem(key)) : void memory.delete(key)),
    get length() {
      return memory.size + [...LAYOUT_KEYS].filter((key) => kept(key) && attempt(() => durable.getItem(key) !== null, false)).length;
    },
    clear() {
      memory.clear();
      for (const key of LAYOUT_KEYS) if (kept(key)) attempt(() => durable.removeItem(key));
    },
  };
}
