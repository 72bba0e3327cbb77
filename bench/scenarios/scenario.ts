import { randomUUID } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import { firstDifference } from "../harness/answer-difference.js";
import type { LoadRequest } from "../harness/load-run.js";
import type { TargetName } from "../targets/targets.js";

export interface GraphQLAnswer {
  data?: Record<string, any>;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

/** What a scenario may use while it prepares: never a gateway under test. */
export interface ScenarioSetup {
  /** Runs an operation through the reference gateway (cache off) in the subgraphs' process. */
  reference(query: string, variables?: Record<string, unknown>, token?: string): Promise<GraphQLAnswer>;
  /** An access token every gateway accepts. */
  token(userId: string): Promise<string>;
  /** A fresh signed internal credential, for calling a subgraph directly. */
  internalCredential(): string;
  /** Whether the inventory subgraph is running (Product.stock and inStock resolvable). */
  inventory: boolean;
  /** Product ids of the seeded catalog. */
  productIds: string[];
  /** Closed-loop connections of the load: virtual clients, for scenarios with one user each. */
  connections: number;
  /** Access tokens naming `userId` that every gateway must refuse (forged, expired, unsigned...). */
  hostileTokens(userId: string, otherUserId: string): Promise<{ name: string; token: string }[]>;
}

/**
 * A scenario ready to run: one request generator per target. The generator is told which
 * virtual client (load connection) asks, for scenarios where each client is its own user.
 */
export interface PreparedScenario {
  requests(target: TargetName): (client: number) => LoadRequest;
  /** Said in the report: what the responses were checked against. */
  checked: string;
  /** Requests every target must refuse before it is measured (a peer checking less does less work). */
  refusals?: LoadRequest[];
}

export interface BenchScenario {
  name: string;
  description: string;
  /** Targets, in the order each round visits them (A B A B ...). */
  targets: TargetName[];
  /** Ratios of requests/s reported per round: [numerator, denominator]. */
  pairs: [TargetName, TargetName][];
  prepare(setup: ScenarioSetup): Promise<PreparedScenario>;
}

/**
 * A check that the response's data equals the reference's. Fast for the common case: a
 * body byte-identical to one already proven right is accepted by one string comparison;
 * anything else is parsed and compared in full (key order aside).
 */
export function expectData(expected: unknown, label: string): LoadRequest["check"] {
  const proven = new Set<string>();
  return (_status, body) => {
    if (proven.has(body)) return undefined;
    let parsed: GraphQLAnswer;
    try {
      parsed = JSON.parse(body) as GraphQLAnswer;
    } catch {
      return `${label}: not JSON`;
    }
    if (parsed.errors?.length) return `${label}: errors ${JSON.stringify(parsed.errors).slice(0, 200)}`;
    if (!isDeepStrictEqual(parsed.data, expected)) return `${label}: data differs from the reference (${firstDifference(expected, parsed.data)})`;
    if (proven.size < 256) proven.add(body);
    return undefined;
  };
}

/** Round-robin over prepared requests (each with its own check). */
export function rotate(requests: LoadRequest[]): () => LoadRequest {
  if (requests.length === 0) throw new Error("A scenario needs at least one request");
  let i = 0;
  return () => requests[i++ % requests.length]!;
}

export const body = (query: string, variables: Record<string, unknown> = {}) => JSON.stringify({ query, variables });

/** Fails setup loudly: a scenario whose reference answer is an error measures nothing. */
export function dataOf(answer: GraphQLAnswer, what: string): Record<string, any> {
  if (answer.errors?.length || !answer.data) throw new Error(`Reference answer for ${what} failed: ${JSON.stringify(answer.errors ?? answer)}`);
  return answer.data;
}

export interface CatalogVariant {
  id: string;
  stock?: number;
}

/**
 * The variants of the catalog's first `count` products, read in pages of 25: a page of 100
 * products with every variant's stock measures above the gateway's cost limit (100 products x
 * 100 variants x a stock read each), as a client's would.
 */
export async function firstProductsVariants(setup: Pick<ScenarioSetup, "reference">, count: number, withStock: boolean): Promise<CatalogVariant[][]> {
  const products: CatalogVariant[][] = [];
  let after: string | null = null;
  while (products.length < count) {
    const page = dataOf(
      await setup.reference(`query($after: String) { products(first: 25, after: $after) { edges { node { variants { id${withStock ? " stock" : ""} } } } pageInfo { hasNextPage endCursor } } }`, { after }),
      "products in stock",
    ).products as { edges: { node: { variants: CatalogVariant[] } }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
    products.push(...page.edges.map((edge) => edge.node.variants));
    if (!page.pageInfo.hasNextPage) break;
    after = page.pageInfo.endCursor;
  }
  return products.slice(0, count);
}

/**
 * A customer with an account, signed up through the reference gateway, and a token for it: the
 * gateway refuses a token whose subject has no account.
 */
export async function signUpCustomer(setup: Pick<ScenarioSetup, "reference" | "token">, label: string): Promise<{ userId: string; token: string }> {
  const answer = dataOf(
    await setup.reference(`mutation($input: SignUpInput!) { signUp(input: $input) { user { id } } }`, {
      input: { email: `${label}-${randomUUID()}@example.com`, password: `Bench-${randomUUID()}`, name: label },
    }),
    `sign-up of ${label}`,
  );
  const userId = answer.signUp.user.id as string;
  return { userId, token: await setup.token(userId) };
}
