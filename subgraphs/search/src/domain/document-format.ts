/**
 * The version of what `toSearchDocument` writes into a search document's fields, kept with the
 * index (the engines' index `_meta`, the embedded index's generation). A document's shape can
 * change while the engines' mapping does not (new words put into `attributes`): an index built
 * by older code then answers without error but misses what the new words find, until every
 * product is written again. A start that finds its index holding an older format rebuilds it
 * behind the alias, as it does for an older mapping (search-subgraph.ts). An index that records
 * no format is of format 1.
 *
 * 2: a product's SKUs and its variants' are among its attribute words (AUT-0000600 finds it).
 * 3: a letter with `#` or `++` in its text is also written as one word (symbol-names.ts: "C#" is
 *    "csharp"), so a search for C# or C++ finds those products.
 * Any change to what toSearchDocument puts into a searched field steps this.
 */
export const DOCUMENT_FORMAT = 3;

/** The format of an index that records none: made before formats were recorded. */
export const UNRECORDED_DOCUMENT_FORMAT = 1;
