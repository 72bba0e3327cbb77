/**
 * What the explorer lets GraphiQL keep in the browser: the layout only. Operations, variables,
 * headers and the history of runs stay in the page's memory; what an earlier explorer kept in
 * localStorage is removed when the page opens. The browser test checks the same in Chromium.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { StorageAPI } from "@graphiql/toolkit";
// @ts-expect-error plain browser JavaScript, bundled into the explorer, without type declarations
import { createExplorerStorage } from "../explorer/src/explorer-storage.js";

/** A Storage like the browser's localStorage, over a Map. */
function browserStorage(entries: Record<string, string> = {}) {
  const map = new Map(Object.entries(entries));
  return {
    map,
    get length() {
      return map.size;
    },
    key: (i: number) => [...map.keys()][i] ?? null,
    getItem: (key: string) => map.get(key) ?? null,
    setItem: (key: string, value: string) => void map.set(key, String(value)),
    removeItem: (key: string) => void map.delete(key),
    clear: () => map.clear(),
  };
}

const SECRET_RUN = JSON.stringify({ queries: [{ query: "mutation LogIn($password: String!) { x }", variables: '{"password":"hunter2-secret"}', headers: '{"Authorization":"Bearer eyJ.secret.token"}' }] });

describe("explorer storage", () => {
  it("keeps what GraphiQL stores of a run (tabs, history, variables, headers) in memory, and the layout in localStorage", () => {
    const local = browserStorage();
    const graphiql = new StorageAPI(createExplorerStorage(() => local));
    for (const [name, value] of [["queries", SECRET_RUN], ["tabState", SECRET_RUN], ["variables", '{"password":"hunter2-secret"}'], ["headers", '{"Authorization":"Bearer x"}'], ["query", "{ me { id } }"], ["operationName", "LogIn"]]) {
      graphiql.set(name!, value!);
      assert.equal(graphiql.get(name!), value, `${name} reads back within the page`);
    }
    graphiql.set("theme", "dark");
    graphiql.set("editorFlex", "1.5");
    assert.deepEqual([...local.map.keys()].sort(), ["graphiql:editorFlex", "graphiql:theme"]);
    assert.ok(![...local.map.values()].some((value) => value.includes("secret")));
    // The next page has the layout and nothing else.
    const next = new StorageAPI(createExplorerStorage(() => local));
    assert.equal(next.get("theme"), "dark");
    assert.equal(next.get("queries"), null);
  });

  it("removes what an earlier explorer kept in localStorage under GraphiQL's names, and leaves other keys alone", () => {
    const local = browserStorage({ "graphiql:queries": SECRET_RUN, "graphiql:tabState": SECRET_RUN, "graphiql:headers": "{}", "graphiql:theme": "light", "storefront:cart-token": "gc1.x" });
    createExplorerStorage(() => local);
    assert.deepEqual([...local.map.keys()].sort(), ["graphiql:theme", "storefront:cart-token"]);
  });

  it("works in memory alone when the browser refuses localStorage", () => {
    const graphiql = new StorageAPI(
      createExplorerStorage(() => {
        throw new DOMException("The operation is insecure.", "SecurityError");
      }),
    );
    graphiql.set("theme", "dark");
    graphiql.set("tabState", SECRET_RUN);
    assert.equal(graphiql.get("theme"), "dark");
    assert.equal(graphiql.get("tabState"), SECRET_RUN);
  });
});
