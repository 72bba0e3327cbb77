import { visit, type DocumentNode } from "graphql";

/**
 * Heap a live subscription holds for each node of its document parsed (without locations, as the
 * request policy parses), with the order query it is re-read by, which is made of its nodes.
 * Measured on live subscriptions of 0 to 200 fields (18 to 418 nodes): 144 bytes a node over a
 * part every subscription holds whatever it selects (14-18 KB: the socket's protocol state, the
 * result stream, its contexts), which the caps on sockets, operations and subscriptions bound.
 */
export const PARSED_NODE_BYTES = 150;

/**
 * What a live subscription holds for as long as its order is followed, in bytes: its id, text
 * and variables as sent, and its document parsed (PARSED_NODE_BYTES a node). The text alone was
 * counted, while the parse outweighs it by up to 70 times: 900 fields in 4.5 KB of text held
 * 315 KB, so the process's WS_MAX_LIVE_SUBSCRIPTION_BYTES (32 MiB) let live subscriptions hold
 * 2.3 GB, and a customer's 32 of them 10 MB. A comment weighs its bytes only (it is parsed into
 * nothing); the storefront's OrderStatus weighs 6.9 KB.
 */
export function liveSubscriptionWeight(id: string, query: string, variables: Record<string, unknown>, document: DocumentNode): number {
  let nodes = 0;
  visit(document, {
    enter() {
      nodes += 1;
    },
  });
  return Buffer.byteLength(id) + Buffer.byteLength(query) + Buffer.byteLength(JSON.stringify(variables)) + nodes * PARSED_NODE_BYTES;
}
