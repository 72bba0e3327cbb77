import { createElement } from 'react';
import { createRoot } from 'react-dom/client';
import { GraphiQL } from 'graphiql';
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import 'graphiql/graphiql.css';
import { guidePlugin } from './explorer-guide.js';
import { goldenTabs, TOKEN_PLACEHOLDER } from './golden-tabs.js';
import { operationNameFor } from './operation-name.js';

const wsProtocol = location.protocol === 'https:' ? 'wss:' : 'ws:';

// Queries and mutations go over HTTP POST; subscriptions go over the graphql-ws protocol on
// the same path. Headers from the Headers tab are sent as HTTP headers, and as the
// connection_init payload for subscriptions.
const baseFetcher = createGraphiQLFetcher({
  url: location.origin + '/graphql',
  subscriptionUrl: wsProtocol + '//' + location.host + '/graphql',
});

/** The access token of the last LogIn or SignUp run here; in memory only, never stored. */
let lastAccessToken;

function withToken(headers) {
  if (!headers) return headers;
  const filled = {};
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value === 'string' && value.includes(TOKEN_PLACEHOLDER)) {
      // Without a token yet, leave the header out: the gateway then says "sign in" instead of
      // "invalid token".
      if (lastAccessToken) filled[name] = value.replace(TOKEN_PLACEHOLDER, lastAccessToken);
    } else {
      filled[name] = value;
    }
  }
  return filled;
}

function rememberToken(result) {
  const data = result && result.data;
  const payload = data && (data.logIn || data.signUp || data.refreshToken);
  if (payload && typeof payload.accessToken === 'string') lastAccessToken = payload.accessToken;
}

function fetcher(params, options) {
  const sent = { ...params, operationName: operationNameFor(params.query, params.operationName) };
  const result = baseFetcher(sent, { ...options, headers: withToken(options && options.headers) });
  // HTTP results come as a promise of a result or of an async iterable of results (multipart
  // answers); subscriptions as an async iterable or an observable, which never carry a token.
  const tap = (value) => {
    if (value && typeof value[Symbol.asyncIterator] === 'function') {
      return (async function* () {
        for await (const part of value) {
          rememberToken(part);
          yield part;
        }
      })();
    }
    rememberToken(value);
    return value;
  };
  return result && typeof result.then === 'function' ? result.then(tap) : tap(result);
}

const tabs = goldenTabs();

function Explorer() {
  return createElement(GraphiQL, {
    fetcher,
    defaultQuery: tabs[0].query,
    defaultTabs: tabs,
    defaultEditorToolsVisibility: 'variables',
    isHeadersEditorEnabled: true,
    plugins: [guidePlugin],
    visiblePlugin: guidePlugin,
    // Tokens stay in memory only, never in localStorage.
    shouldPersistHeaders: false,
  }, createElement(GraphiQL.Logo, null, 'Storefront'));
}

createRoot(document.getElementById('graphiql')).render(createElement(Explorer));
