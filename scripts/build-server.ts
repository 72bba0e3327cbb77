// Builds the servers into plain JavaScript (dist/server/<entry>.js), so that production, `npm start`
// and the benchmarks run them on node alone instead of through tsx's loader:
//
//   npm run build:server [-- --outdir dist/server] [-- <server> ...]    (every server unless named)
//
// Why: under tsx every `require` of a CommonJS package goes through tsx's resolver (Apollo's
// hashing calls `module.require("crypto")` on every request: 2.5 µs a call under tsx, 0.2 µs
// without), and tsx names every function it creates (`__name`, 2-3% of a server's CPU).
// Packages stay outside the bundle (`packages: "external"`), resolved from node_modules as before;
// only the project's own TypeScript is bundled, so a package's native parts, WASM and data files
// are found where they always were.
import { build, type Plugin } from "esbuild";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** Each built entry point: its name in dist/server and its source. */
export const SERVER_ENTRIES: Readonly<Record<string, string>> = {
  start: "scripts/start.ts",
  gateway: "gateway/src/main.ts",
  products: "subgraphs/products/src/main.ts",
  search: "subgraphs/search/src/main.ts",
  inventory: "subgraphs/inventory/src/main.ts",
  cart: "subgraphs/cart/src/main.ts",
  orders: "subgraphs/orders/src/main.ts",
  payments: "subgraphs/payments/src/main.ts",
  accounts: "subgraphs/accounts/src/main.ts",
  notifications: "services/notifications/src/main.ts",
  "payment-simulator": "services/payment-simulator/src/main.ts",
};

export const DEFAULT_OUTDIR = "dist/server";

// Spelled in pieces so that this file, built into a bench's process, keeps its own text.
const META = ["import", "meta"].join(".");
const META_URL = new RegExp(`\\b${META.replace(".", "\\.")}\\.url\\b`);

/**
 * A source file's `import.meta.url` stays the source file's own URL, computed from where the
 * bundle lies: schema files, the explorer's pages and `createRequire` are found relative to
 * the source, as under tsx, wherever the repository is checked out.
 */
function sourceUrls(outdir: string): Plugin {
  return {
    name: "source-import-meta-url",
    setup(build) {
      build.onLoad({ filter: /\.tsx?$/ }, async (args) => {
        if (args.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
        const text = await readFile(args.path, "utf8");
        if (!META_URL.test(text)) return undefined;
        const relative = path.relative(outdir, args.path).split(path.sep).join("/");
        const contents = text.replace(new RegExp(META_URL.source, "g"), () => `new URL(${JSON.stringify(relative)}, ${META}.url).href`);
        return { contents, loader: args.path.endsWith(".tsx") ? "tsx" : "ts" };
      });
    },
  };
}

/** Builds the given entries (all servers by default) into `outdir`; resolves to the files written. */
export async function buildServer(options: { outdir?: string; entries?: Readonly<Record<string, string>> } = {}): Promise<string[]> {
  const outdir = path.resolve(ROOT, options.outdir ?? DEFAULT_OUTDIR);
  const entries = options.entries ?? SERVER_ENTRIES;
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: Object.fromEntries(Object.entries(entries).map(([name, source]) => [name, path.resolve(ROOT, source)])),
    outdir,
    bundle: true,
    // Shared modules go into chunks beside the entries (esbuild's default chunk names): every
    // output sits directly in outdir, which the `import.meta.url` rewrite relies on.
    splitting: true,
    packages: "external",
    platform: "node",
    format: "esm",
    target: "node20",
    sourcemap: "linked",
    metafile: true,
    logLevel: "warning",
    plugins: [sourceUrls(outdir)],
  });
  return Object.keys(result.metafile.outputs);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const args = process.argv.slice(2);
  const outdirAt = args.indexOf("--outdir");
  const outdir = outdirAt >= 0 ? args.splice(outdirAt, 2)[1] : undefined;
  const unknown = args.filter((name) => !(name in SERVER_ENTRIES));
  if (unknown.length > 0) {
    process.stderr.write(`No server named ${unknown.join(", ")}; the servers are ${Object.keys(SERVER_ENTRIES).join(", ")}\n`);
    process.exit(1);
  }
  await buildServer({ outdir, entries: args.length > 0 ? Object.fromEntries(args.map((name) => [name, SERVER_ENTRIES[name]!])) : undefined });
}
