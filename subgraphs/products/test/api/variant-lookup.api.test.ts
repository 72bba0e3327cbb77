import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createSubgraphProductCatalog } from "../../../cart/src/index.js";
import { admin, startProductsApi, type ProductsApiRig } from "./products-api-rig.js";

const CREATE = `mutation($input: CreateProductInput!) { createProduct(input: $input) { id variants { id } } }`;
const REMOVE_VARIANT = `mutation($id: ID!) { removeProductVariant(id: $id) { id } }`;

/**
 * The variants the products service hands to the services of its process (the cart's and the
 * checkout's pricing, one-process layout) are what its `_entities` answers the cart's query
 * over HTTP: the same names, titles, options, prices and categories, and the same absences.
 */
describe("variants read in this process, against the products subgraph's _entities", () => {
  let rig: ProductsApiRig;
  let overHttp: ReturnType<typeof createSubgraphProductCatalog>;
  let tee: { id: string; variants: { id: string }[] };
  let lamp: { id: string; variants: { id: string }[] };
  let removed: string;

  before(async () => {
    rig = await startProductsApi();
    overHttp = createSubgraphProductCatalog(rig.client);
    const create = async (input: Record<string, unknown>) => (await rig.client.request<{ createProduct: typeof tee }>(CREATE, { input }, { identity: admin })).createProduct;
    tee = await create({
      sku: "LOOKUP-TEE",
      name: "Organic Cotton Tee",
      description: "A plain tee.",
      category: "fashion",
      brand: "Threadwell",
      options: [
        { name: "Size", values: ["S", "M"] },
        { name: "Colour", values: ["Red", "Blue"] },
      ],
      variants: [
        { sku: "LOOKUP-TEE-S-RED", options: [{ name: "Size", value: "S" }, { name: "Colour", value: "Red" }], priceAmount: 1500 },
        { sku: "LOOKUP-TEE-M-BLUE", options: [{ name: "colour", value: "blue" }, { name: "Size", value: "M" }], priceAmount: 1700 },
        { sku: "LOOKUP-TEE-S-BLUE", options: [{ name: "Size", value: "S" }, { name: "Colour", value: "Blue" }], priceAmount: 1900 },
      ],
    });
    lamp = await create({ sku: "LOOKUP-LAMP", name: "Desk Lamp", description: "Bright.", category: "home", brand: "Lumen", priceAmount: 4999 });
    removed = tee.variants[2]!.id;
    await rig.client.request(REMOVE_VARIANT, { id: removed }, { identity: admin });
  });
  after(() => rig?.close());

  it("finds variants (with options, a default one) as _entities does, and leaves out what it answers null", async () => {
    const ids = [...tee.variants.map((v) => v.id), lamp.id, `${lamp.id}:9`, "prod_nowhere", "prod_nowhere:1", tee.variants[0]!.id];
    const inProcess = await rig.products.variants.findVariants(ids);
    assert.deepEqual(inProcess, await overHttp.findVariants(ids));
    assert.deepEqual([...inProcess.keys()].sort(), [tee.variants[0]!.id, tee.variants[1]!.id, lamp.id].sort(), `not ${removed} nor the unknown ones`);
    assert.equal(inProcess.get(tee.variants[1]!.id)!.title, "M / Blue");
  });

  it("lists products' variant ids as _entities does", async () => {
    const ids = [tee.id, lamp.id, "prod_nowhere"];
    assert.deepEqual(await rig.products.variants.variantIdsOf(ids), await overHttp.variantIdsOf(ids));
  });

  it("answers nothing for nothing asked", async () => {
    assert.deepEqual(await rig.products.variants.findVariants([]), new Map());
    assert.deepEqual(await rig.products.variants.variantIdsOf([]), new Map());
  });
});
