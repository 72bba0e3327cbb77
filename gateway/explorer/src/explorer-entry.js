import { createElement } from 'react';
import { createRoot } from 'react-dom/client';
import { GraphiQL } from 'graphiql';
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import 'graphiql/graphiql.css';
import { guidePlugin } from './explorer-guide.js';
import { goldenTabs } from './golden-tabs.js';
import { createSessionTokens } from './session-tokens.js';
import { createExplorerStorage } from './explorer-storage.js';
import { operationNameFor } from './operation-name.js';

const wsProtocol = location.protocol === 'https:' ? 'wss:' : 'ws:';

// Queries and mutations go over HTTP POST; subscriptions go over the graphql-ws protocol on
// the same path. Headers from the Headers tab are sent as HTTP headers, and as the
// connection_init payload for subscriptions.
const baseFetcher = createGraphiQLFetcher({
  url: location.origin + '/graphql',
  subscriptionUrl: wsProtocol + '//' + location.host + '/graphql',
});

const tokens = createSessionTokens();

function fetcher(params, options) {
  const sent = { ...params, operationName: operationNameFor(params.query, params.operationName) };
  const result = baseFetcher(sent, { ...options, headers: tokens.fill(options && options.headers) });
  // HTTP results come as a promise of a result or of an async iterable of results (multipart
  // answers); subscriptions as an async iterable or an observable, which never carry a token.
  const tap = (value) => {
    if (value && typeof value[Symbol.asyncIterator] === 'function') {
      return (async function* () {
        for await (const part of value) {
          tokens.remember(part);
          yield part;
        }
      })();
    }
    tokens.remember(value);
    return value;
  };
  return result && typeof result.then === 'function' ? result.then(tap) : tap(result);
}

const tabs = goldenTabs();

/**
 * GraphiQL 3 opens the first of `defaultTabs` with its query but fills the variables and
 * headers editors only from the `variables` and `headers` props (or storage), so LogIn, the tab
 * the guide runs first, opened with no variables and answered `Variable "$email" ... was not
 * provided`. Tabs are never stored (see explorer-storage.js), so every visit opens on the
 * golden tabs, and the first one's own variables and headers are given as those props.
 */
const opening = { variables: tabs[0].variables, headers: tabs[0].headers };

function Explorer() {
  return createElement(GraphiQL, {
    fetcher,
    defaultQuery: tabs[0].query,
    defaultTabs: tabs,
    ...opening,
    defaultEditorToolsVisibility: 'variables',
    isHeadersEditorEnabled: true,
    plugins: [guidePlugin],
    visiblePlugin: guidePlugin,
    // Tokens, passwords and operations stay in memory only (see explorer-storage.js).
    shouldPersistHeaders: false,
    storage: createExplorerStorage(() => window.localStorage),
  }, createElement(GraphiQL.Logo, null, 'Storefront'));
}

createRoot(document.getElementById('graphiql')).render(createElement(Explorer));
