import { setTimeout as delay } from "node:timers/promises";
import { HeaderMap, type ApolloServerPlugin, type GraphQLRequestContext } from "@apollo/server";
import type { FormattedExecutionResult, OperationDefinitionNode } from "graphql";
import { countCacheLookups } from "#kernel";
import type { GatewayContext } from "../gateway-context.js";
import { productsIn, type CachePlan, type PublicCatalogPolicy } from "./public-catalog-policy.js";
import { ANY_PRODUCT, LISTINGS, type CacheTag, type ResponseCache } from "./response-cache.js";

/** Response header telling clients (and the benchmark) what the cache did: hit, coalesced, miss or bypass. */
export const CACHE_STATUS_HEADER = "x-response-cache";

/** Plans are per document; a handful of shapes serve most traffic, so a small memo suffices. */
const MAX_PLANS = 2_000;

/** The names of the variables an operation declares, in order. */
function declaredVariables(operation: OperationDefinitionNode | undefined): string[] {
  return operation?.variableDefinitions?.map((definition) => definition.variable.name.value) ?? [];
}

/**
 * A stored answer and the caching policy its execution earned (the subgraphs' hints, what the
 * miss's `cache-control` said): a hit or a coalesced answer says the same, for it is the same
 * answer, kept current by the catalog's change events. Without it a hit, which runs nothing,
 * had no hints and said `no-store` where its miss had said `max-age=30, public`.
 */
export interface CachedAnswer {
  result: FormattedExecutionResult;
  policy: ReturnType<CachePolicy["policyIfCacheable"]>;
}

type CachePolicy = GraphQLRequestContext<GatewayContext>["overallCachePolicy"];

/** A request waiting for an identical one in flight gives up and runs itself after this long. */
const COALESCE_WAIT_MS = 5_000;

/**
 * Serves public catalog queries from the response cache and fills it from their answers.
 *
 * Runs as an Apollo Server plugin, after the operation is parsed, validated and passed by the
 * operation guard (depth, cost, per-caller budgets), so a hit skips only the query plan's
 * execution, never a security check. Only operations the public catalog policy accepts are
 * looked up or stored; everything else (carts, orders, accounts, mutations) bypasses it and
 * is answered by the subgraphs for its caller alone. Answers with errors are never stored.
 */
export function responseCachePlugin(
  cache: ResponseCache<CachedAnswer>,
  policy: PublicCatalogPolicy,
  options: {
    /**
     * Whether answers carry CACHE_STATUS_HEADER. The cache is shared by every caller, so its
     * `hit` tells whoever asks that someone asked the same (a search's words, an autocomplete's
     * prefix) within its lifetime: a probe for other people's searches. Development and the
     * benchmarks read it; production leaves it out (RESPONSE_CACHE_STATUS_HEADER).
     */
    statusHeader: boolean;
  } = { statusHeader: true },
): ApolloServerPlugin<GatewayContext> {
  const plans = new Map<string, CachePlan>();
  // Misses in flight, by key. Identical public queries arriving meanwhile wait for the first
  // one's answer instead of asking the subgraphs again (no stampede when a popular entry
  // expires or is invalidated). They get it only if it was stored, i.e. only what a cache hit
  // could have served them; otherwise they run on their own.
  const inFlight = new Map<string, Promise<CachedAnswer | undefined>>();

  return {
    async requestDidStart() {
      let key: string | undefined;
      let plan: CachePlan | undefined;
      let ticket = 0;
      let hit: "hit" | "coalesced" | undefined;
      let settle: ((answer: CachedAnswer | undefined) => void) | undefined;
      return {
        async responseForOperation(requestContext) {
          const { queryHash, document, operationName, request, schema } = requestContext;
          const planKey = `${queryHash}:${operationName ?? ""}`;
          plan = plans.get(planKey);
          if (!plan) {
            plan = policy(schema, document, operationName);
            if (plans.size >= MAX_PLANS) plans.clear();
            plans.set(planKey, plan);
          }
          if (!plan.cacheable) return null;
          // Only the variables the operation declares: any others are ignored when it runs, and
          // keying on them let every request with an unused variable of its own be stored anew.
          const variables = request.variables ?? {};
          key = `${planKey}:${JSON.stringify(declaredVariables(requestContext.operation).flatMap((name) => (Object.hasOwn(variables, name) ? [[name, variables[name]]] : [])))}`;
          const cached = cache.get(key);
          if (cached) {
            hit = "hit";
            return answerWith(cached, requestContext.overallCachePolicy);
          }
          const leader = inFlight.get(key);
          if (leader) {
            const shared = await Promise.race([leader, delay(COALESCE_WAIT_MS, undefined, { ref: false })]);
            if (shared) {
              hit = "coalesced";
              return answerWith(shared, requestContext.overallCachePolicy);
            }
          } else {
            const own = new Promise<CachedAnswer | undefined>((resolve) => (settle = resolve));
            const ownKey = key;
            inFlight.set(ownKey, own);
            void own.then(() => {
              if (inFlight.get(ownKey) === own) inFlight.delete(ownKey);
            });
          }
          ticket = cache.ticket();
          return null;
        },

        async willSendResponse(requestContext) {
          const { response } = requestContext;
          if (options.statusHeader) response.http.headers.set(CACHE_STATUS_HEADER, hit ?? (key ? "miss" : "bypass"));
          if (key) countCacheLookups("response", hit ?? "miss");
          if (hit || !key || !plan?.cacheable) return;
          let stored: CachedAnswer | undefined;
          try {
            if (response.body.kind !== "single") return;
            const result = response.body.singleResult;
            if (result.errors?.length || !result.data) return;
            const { ids, missing } = productsIn(result.data, plan.locators);
            const tags: CacheTag[] = [...ids].map((id) => `product:${id}` as const);
            if (plan.listing || missing) tags.push(LISTINGS);
            if (plan.untraceable) tags.push(ANY_PRODUCT);
            const answer: CachedAnswer = { result, policy: requestContext.overallCachePolicy.policyIfCacheable() };
            if (cache.store(key, answer, tags, ticket, JSON.stringify(result).length)) stored = answer;
          } finally {
            settle?.(stored);
          }
        },
      };
    },
  };
}

/** The stored answer, with the caching policy it was stored with (the cache-control plugin writes the header from it). */
function answerWith(answer: CachedAnswer, overall: CachePolicy) {
  if (answer.policy) overall.replace(answer.policy);
  return { body: { kind: "single" as const, singleResult: answer.result }, http: { status: undefined, headers: new HeaderMap() } };
}
