import { createHash } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import { getIntrospectionQuery, GraphQLError, Kind, parse, Source, type DocumentNode, type FieldNode, type OperationDefinitionNode, type SourceLocation } from "graphql";
import { countRateLimitRefusal, ErrorCode, WeighedMemo, isStorableText, rateLimitedMessage, unstorableLiteral, unstorableVariable } from "#kernel";
import type { CallerRateLimiter } from "../rate-limit/caller-rate-limiter.js";
import { networkBudget, ownBudget, type Caller } from "../rate-limit/caller.js";
import { actualOperationCost, type ExecutedResult } from "./actual-operation-cost.js";
import { createCostBudget, type CostBudgetLimiters, type CostCharge } from "./cost-budget.js";
import { deepestField } from "./deepest-field.js";
import { documentFieldComparisons } from "./field-comparisons.js";
import { firstCrowding } from "./crowded-selection.js";
import { fieldStart, parseNotingFields } from "./field-positions.js";
import type { ListSizes } from "./list-sizes.js";
import { measureDocumentShape, measureOperation, UnmeasurableOperationError, type DocumentShape, type OperationMeasure } from "./measure-operation.js";
import { costAdvice, listNamed } from "./cost-advice.js";
import { createRememberedMeasures } from "./remembered-measures.js";
import { hasOwnNetworkBudget, mayNameOwnNetworkBudgetField, type OperationBudgets } from "./operation-budgets.js";
import type { PersistedOperationCheck } from "./persisted-operations.js";
import { nestsDeeperThan } from "./request-values.js";
import { operationNamesHint, persistedIdKeyHint, variablesShapeHint } from "../execution/misnamed-request-parts.js";
import { PLANNING_DEPOSIT, planningKey, planningPoints } from "../execution/planning-time.js";

export interface OperationLimits {
  maxDepth: number;
  maxAliases: number;
  maxCost: number;
  /** Times one response name may be selected in one selection set (fragments included). */
  maxFieldRepeats: number;
  /** Lexical tokens in one document: bounds parsing and everything after it. */
  maxTokens: number;
  maxBatchSize: number;
}

/** Type references nest about 14 deep in the standard introspection query; this leaves room. */
const MAX_INTROSPECTION_DEPTH = 20;
/**
 * Introspection an operation may ask for, in readings of the whole schema: an explorer reads
 * it once (GraphiQL's query, with every option on); two leave room for a client's own shape,
 * while 30 aliased `__schema { types { ... } }` (20 MB a batch) are refused.
 */
const SCHEMA_READINGS_PER_OPERATION = 2;
/**
 * The standard introspection query with every option on: one reading of the whole schema.
 * The gateway serves all of it, `oneOf` too (prepared-gateway.ts answers schema readings
 * with graphql-js, not through the planner).
 */
const FULL_INTROSPECTION = parse(getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, schemaDescription: true, inputValueDeprecation: true, oneOf: true }));
const UNSTORABLE_TEXT = "Text input must not contain NUL characters or unpaired UTF-16 surrogates";
/**
 * Pairs of same-named fields validation may compare in one document (documentFieldComparisons):
 * 3.5 KB of `parent` selected twice at each of 7 levels counted 70,591 pairs and took 23-60 ms of
 * the gateway's CPU to validate (0.2-1.1 µs a pair), a new text every time for one general point.
 * The storefront's operations and the introspection query count none; a field written in two
 * fragments spread together counts the product of the fields each selects, a few dozen.
 */
const MAX_FIELD_COMPARISONS = 2_000;
/** No operation of this API takes variables nested deeper than a few levels. */
const MAX_VARIABLES_DEPTH = 16;
/**
 * Parsed query texts kept, and their characters at most. Clients ship a few dozen operations
 * (the golden ones: 43 texts, 14,309 characters), each sent many times. A parsed document
 * holds 36-75 bytes of heap per character of its text (measured: 1,000 texts of 1,000 tokens
 * held 71 MB), so the characters bound the memory: about 10-20 MB at most. Only admitted
 * texts are kept: one refused for its limits is parsed again each time, as before, and never
 * displaces a client's.
 */
const PARSED_KEPT = 1_000;
const PARSED_KEPT_CHARACTERS = 256_000;
/**
 * How long a text whose planning deposit was charged is taken as being planned: requests of it
 * arriving meanwhile (a page asking for 20 products at once, the first time after a deploy)
 * hold no deposit of their own. Its settlement ends it sooner; texts held are bounded in number.
 */
const DEPOSIT_HELD_MS = 30_000;
const DEPOSITS_HELD = 10_000;

/** One operation as a client sends it: a POST body entry, a GET query string, a WS subscribe payload. */
export interface OperationRequest {
  query?: unknown;
  operationName?: unknown;
  variables?: unknown;
  extensions?: unknown;
}

export type Transport = "http-get" | "http-post" | "websocket";

/** An operation that passed every check, parsed once. */
export interface AdmittedOperation {
  query: string;
  document: DocumentNode;
  operation: OperationDefinitionNode;
  operationName?: string;
  variables: Record<string, unknown>;
  measure: OperationMeasure;
  /**
   * Points held for planning it (PLANNING_DEPOSIT when the gateway had not prepared its text,
   * else 0), charged with its measure and settled to what its planning took.
   */
  planningDeposit: number;
  /**
   * The operation name as the client sent it (none when it left it out): the gateway keys what it
   * prepares by it, so its planning deposit is held under it too.
   */
  sentName?: string;
  /**
   * Points for the values of its variables past the first INPUT_VALUES_FREE (see inputCostOf):
   * charged with its measure, never given back, for they are coerced whatever the answer.
   */
  inputCost: number;
  /** What its admission took from the cost budget (measure.cost, inputCost and planningDeposit): settled once it has run. */
  charged?: CostCharge;
}

/** An operation as sent, parsed (without locations): what a refusal names a place of. */
interface SentOperation {
  query: string;
  document: DocumentNode;
  operation: OperationDefinitionNode;
}

/** Where in the query text a refusal points: a syntax error, the field that costs too much. */
export interface QueryPosition {
  source: Source;
  position: number;
}

/** A request refused before execution, with what each transport needs to say so. */
export class PolicyRefusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extensions: Record<string, unknown> = {},
    readonly retryAfterSeconds?: number,
    readonly at?: QueryPosition,
  ) {
    super(message);
  }

  /**
   * Whether the caller can run nothing at all until `retryAfterSeconds` has passed: its general
   * or cost budget is spent (every operation takes a point of each), not a per-field budget.
   */
  get callerSpent(): boolean {
    return this.status === 429 && (this.extensions.budget === undefined || this.extensions.budget === "cost");
  }

  /** Line and column of what is refused, as GraphQL errors give them (`locations`), when it is one place of the text. */
  get locations(): readonly SourceLocation[] | undefined {
    return this.toGraphQLError().locations;
  }

  toGraphQLError(): GraphQLError {
    return new GraphQLError(this.message, { extensions: { code: this.code, ...this.extensions }, ...(this.at ? { source: this.at.source, positions: [this.at.position] } : {}) });
  }
}

/**
 * The most a sign-in may measure to pass a spent general or cost budget: a session and the
 * user's own fields (the storefront's LogIn measures 7), not lists read through it.
 */
const SIGN_IN_COST = 50;

const refuse = (code: string, message: string, extensions: Record<string, unknown> = {}, status = 400, at?: QueryPosition) => new PolicyRefusal(status, code, message, extensions, undefined, at);

/**
 * The refusals of an HTTP request that is not a GraphQL request at all, most often someone's
 * first one: /graphql opened in a browser tab (the start banner prints it first), or a query
 * posted as text. Each says what a request looks like and where to write one.
 */
export const HOW_TO_SEND = 'POST {"query": "{ ... }"} with content-type application/json, or write one in /explorer';
const noQuery = (transport: Transport) => (transport === "websocket" ? "The operation has no query" : `The request has no query: ${HOW_TO_SEND}`);
const notAnOperation = (transport: Transport) => (transport === "websocket" ? "Each operation is a JSON object with a query" : `Each operation is a JSON object with a query: ${HOW_TO_SEND}`);

/**
 * The one admission policy of the gateway, applied by every transport (HTTP GET, POST and
 * batches, graphql-ws) before anything is validated, planned or executed, so a limit can
 * never exist on one path only. In order, cheapest first:
 * 1. the batch size, then the caller's general budget, charged one point per operation, and
 *    its network's ceiling (a multiple of it, so rotating free accounts from one network
 *    does not multiply the budget); once parsed, a point more for each mutation field a
 *    mutation runs past its first (each is a write of its own);
 * 2. per operation: its shape, the persisted-operation allow-list, NUL bytes, lone
 *    surrogates and nesting in the query text and variables, parsing under a token limit,
 *    choosing the operation (a known name, or the only one), whether the transport may run
 *    that kind of operation;
 * 3. a linear measure (fragments measured once) against the depth, alias, cost, introspection
 *    and repeated-field limits, counting fields reached through root fragments like any other
 *    (repeats matter because validation and query planning compare same-named fields pairwise);
 *    every list counted as the items it returns at most (`ListSizes`);
 * 4. the caller's cost budget, charged the measured cost of every operation of the request,
 *    and its network's ceiling; once an operation has run, `settle` gives back what it did
 *    not cost (its measure is a maximum: a product that does not exist costs its null);
 * 5. the per-field budgets (search, checkout, auth), charged per run of each field over the
 *    whole request (auth to the network, whatever token came with it; see Caller), together
 *    with the cost budget: all or nothing, on one Redis round trip.
 * A request whose every operation only signs up or in (root fields with a per-network budget of
 * their own: logIn, signUp, refreshToken, ...) is not refused by the general or cost budget
 * when those are spent: a network's shared guest budget, spent by someone else's browsing,
 * must not keep the people behind it from signing in (and browsing on their own budgets).
 * Refusing costs at most one pass over a document of at most `maxTokens` tokens. Work the
 * gateway repeats for a client without a new request (a live subscription's re-reads) is
 * charged through `readmit`, so it spends the same budgets.
 */
export function createRequestPolicy(deps: {
  limits: OperationLimits;
  /** The general budget, per caller. */
  rateLimit: CallerRateLimiter;
  /** The general budget's ceiling per network, over every caller in it (signed in or not). */
  networkRateLimit: CallerRateLimiter;
  /**
   * The cost budget per caller, charged every operation's measured cost (a batch its sum),
   * and its ceiling per network: what a caller may spend a minute, where the general budget
   * counts operations whatever they cost. Absent, only operations are counted (tests).
   */
  costRateLimit?: CostBudgetLimiters;
  budgets: OperationBudgets;
  persisted: PersistedOperationCheck;
  /** How many items each list returns at most (`listSizesOf` the supergraph); absent, lists count as one (tests). */
  listSizes?: ListSizes;
  /**
   * Whether the gateway has this text prepared (planned): one it has not is charged a planning
   * deposit with its cost (see planning-time.ts). Absent, planning is not charged (tests).
   */
  isPrepared?: (query: string, operationName: string | undefined) => boolean;
}) {
  const { limits } = deps;
  const costBudget = deps.costRateLimit && createCostBudget(deps.costRateLimit);
  const fullIntrospection = measureOperation(FULL_INTROSPECTION, FULL_INTROSPECTION.definitions[0] as OperationDefinitionNode, {}, deps.listSizes);
  const maxIntrospectionCost = SCHEMA_READINGS_PER_OPERATION * fullIntrospection.introspectionCost;
  const parsed = new WeighedMemo<string, DocumentNode>({ weight: PARSED_KEPT_CHARACTERS, entries: PARSED_KEPT, refreshOnRead: true });
  const measureOf = createRememberedMeasures(deps.listSizes);
  /**
   * Texts whose planning deposit one admission holds (a digest of planningKey -> when), so
   * concurrent ones hold none. Keyed by digest: a text may be 100 KB, and 10,000 of them kept
   * whole would hold a gigabyte.
   */
  const depositsHeld = new Map<string, number>();
  /** The planning deposits re-reads were charged (`readmit`), by their charge, for `settle`. */
  const rereadDeposits = new WeakMap<CostCharge, number>();
  const heldKey = (operation: Pick<AdmittedOperation, "query" | "sentName">) => createHash("sha256").update(planningKey(operation.query, operation.sentName)).digest("base64");

  /** The query's document: kept from an earlier admission, or parsed under the token limit; refuses what cannot be stored. */
  function documentOf(query: string): DocumentNode {
    const known = parsed.get(query);
    if (known) return known;
    let document: DocumentNode;
    try {
      document = parseNotingFields(query, { maxTokens: limits.maxTokens, noLocation: true });
    } catch (error) {
      const message = error instanceof GraphQLError ? error.message : "The query could not be parsed";
      const tooLong = /more th[ae]t? \d+ tokens/.test(message);
      if (tooLong) throw refuse(ErrorCode.QUERY_TOO_COMPLEX, `The query is too long: over ${limits.maxTokens} tokens`, { limit: limits.maxTokens });
      // The line and column of the mistake, as graphql-js reports them (the AST has no locations, the error does).
      const position = error instanceof GraphQLError && error.source && error.positions?.length ? { source: error.source, position: error.positions[0]! } : undefined;
      throw refuse("GRAPHQL_PARSE_FAILED", message, {}, 400, position);
    }
    // The text itself is storable (admitOne checked): a literal can only hold what the text does
    // not through an escape, so a text without one is not walked (a third of the CPU of
    // admitting a new 1,000-token text).
    if (query.includes("\\") && unstorableLiteral(document)) throw refuse(ErrorCode.BAD_USER_INPUT, UNSTORABLE_TEXT);
    return document;
  }

  /** Documents judged whole (a kept text is judged once: its shape does not change). */
  const judgedWhole = new WeakSet<DocumentNode>();

  /**
   * Holds the operations a request does not run, and the fragments nothing spreads, to the
   * depth, alias and repeat limits: validation walks every definition of the document.
   */
  function judgeWholeDocument(document: DocumentNode): void {
    let shape: DocumentShape;
    try {
      shape = measureDocumentShape(document);
    } catch (error) {
      if (error instanceof UnmeasurableOperationError) throw refuse("GRAPHQL_VALIDATION_FAILED", error.message);
      throw error;
    }
    const over = (what: keyof DocumentShape, max: number) => {
      if (shape[what] <= max) return;
      throw refuse(ErrorCode.QUERY_TOO_COMPLEX, `The document is too complex: ${what} ${shape[what]} exceeds ${max} in an operation or fragment the request does not run; send only what it runs`, {
        [what]: shape[what],
        limit: max,
      });
    };
    over("depth", limits.maxDepth);
    over("aliases", limits.maxAliases);
    over("repeats", limits.maxFieldRepeats);
  }

  /** Holds the pairs of same-named fields validation would compare, over every definition, to MAX_FIELD_COMPARISONS. */
  function judgeComparisons(document: DocumentNode): void {
    const comparisons = documentFieldComparisons(document);
    if (comparisons <= MAX_FIELD_COMPARISONS) return;
    throw refuse(
      ErrorCode.QUERY_TOO_COMPLEX,
      `The document is too complex: comparisons ${comparisons} exceeds ${MAX_FIELD_COMPARISONS}; fields of one name in one selection set are compared in pairs, down through everything each holds: ask for each field once, with all it needs`,
      { comparisons, limit: MAX_FIELD_COMPARISONS },
    );
  }

  /** Keeps an admitted text's document, the least recently used going first past either bound. */
  function keep(query: string, document: DocumentNode): void {
    if (!parsed.has(query)) parsed.set(query, document, query.length);
  }

  function admitOne(request: OperationRequest, transport: Transport): AdmittedOperation {
    if (typeof request !== "object" || request === null || Array.isArray(request)) throw refuse(ErrorCode.BAD_USER_INPUT, notAnOperation(transport));
    // Before the allow-list: under it, an id sent by another key was told only to persist the operation.
    if (request.query === undefined && request.extensions === undefined) {
      const hint = persistedIdKeyHint(request);
      if (hint) throw refuse(ErrorCode.BAD_USER_INPUT, `${noQuery(transport)}.${hint}`);
    }
    const allowed = deps.persisted(request as Parameters<PersistedOperationCheck>[0]);
    if (!allowed.ok) throw refuse(allowed.code, allowed.message);
    const { query, operationName, variables } = request;
    if (typeof query !== "string" || query.trim() === "") throw refuse(ErrorCode.BAD_USER_INPUT, noQuery(transport));
    if (operationName !== undefined && operationName !== null && typeof operationName !== "string") throw refuse(ErrorCode.BAD_USER_INPUT, "operationName must be a string");
    if (variables !== undefined && variables !== null && (typeof variables !== "object" || Array.isArray(variables))) {
      throw refuse(ErrorCode.BAD_USER_INPUT, `variables must be a JSON object${variablesShapeHint(variables)}`);
    }
    if (!isStorableText(query)) throw refuse(ErrorCode.BAD_USER_INPUT, UNSTORABLE_TEXT);
    const variable = unstorableVariable((variables ?? {}) as Record<string, unknown>);
    if (variable !== undefined) throw refuse(ErrorCode.BAD_USER_INPUT, `Variable $${variable}: ${UNSTORABLE_TEXT}`, { variable });
    if (nestsDeeperThan(variables ?? {}, MAX_VARIABLES_DEPTH)) throw refuse(ErrorCode.BAD_USER_INPUT, `Variables nest at most ${MAX_VARIABLES_DEPTH} levels deep`);

    const document = documentOf(query);
    const operation = chooseOperation(document, operationName ?? undefined);
    if (operation.operation === "subscription" && transport !== "websocket") {
      throw refuse(ErrorCode.OPERATION_NOT_ALLOWED, "Subscriptions are served over WebSocket (graphql-ws) on this same URL", {}, 405);
    }
    if (operation.operation === "mutation" && transport === "http-get") throw refuse(ErrorCode.OPERATION_NOT_ALLOWED, "Mutations are sent with POST", {}, 405);

    let measure: OperationMeasure;
    try {
      measure = measureOf(document, operation, (variables ?? {}) as Record<string, unknown>);
    } catch (error) {
      if (error instanceof UnmeasurableOperationError) throw refuse("GRAPHQL_VALIDATION_FAILED", error.message);
      throw error;
    }
    const over = (what: string, value: number, max: number) => {
      if (value > max) throw refuse(ErrorCode.QUERY_TOO_COMPLEX, `The operation is too complex: ${what} ${value} exceeds ${max}`, { [what]: value, limit: max });
    };
    const sent: SentOperation = { query, document, operation };
    if (measure.depth > limits.maxDepth) throw depthRefusal(sent, measure.depth);
    over("introspectionDepth", measure.introspectionDepth, MAX_INTROSPECTION_DEPTH);
    if (measure.aliases > limits.maxAliases) throw crowdedRefusal(sent, measure, "aliases", measure.aliases, limits.maxAliases);
    if (measure.cost > limits.maxCost) throw costRefusal(sent, measure);
    over("introspectionCost", measure.introspectionCost, maxIntrospectionCost);
    if (measure.repeats > limits.maxFieldRepeats) throw crowdedRefusal(sent, measure, "repeats", measure.repeats, limits.maxFieldRepeats);
    if (!judgedWhole.has(document)) {
      if (document.definitions.length > 1) judgeWholeDocument(document);
      judgeComparisons(document);
      judgedWhole.add(document);
    }
    keep(query, document);
    return {
      query,
      document,
      operation,
      operationName: operation.name?.value,
      variables: (variables ?? {}) as Record<string, unknown>,
      measure,
      inputCost: inputCostOf(variables ?? {}),
      // Asked by the name the client sent, as the gateway keys what it prepared.
      planningDeposit: deps.isPrepared && !deps.isPrepared(query, operationName ?? undefined) ? PLANNING_DEPOSIT : 0,
      sentName: operationName ?? undefined,
    };
  }

  /** Where `field` (the place a refusal names) is in the text: noted by the parse, no parse again. */
  function positionOf(sent: SentOperation, field: FieldNode | undefined): QueryPosition | undefined {
    const start = field && fieldStart(field);
    return start === undefined ? undefined : { source: new Source(sent.query), position: start };
  }

  /**
   * An operation over the cost limit, told which list makes most of its cost and what that list
   * runs with (`products(first: 1000)`), at its line and column, and what to change there
   * (`costAdvice`).
   */
  function costRefusal(sent: SentOperation, measure: OperationMeasure): PolicyRefusal {
    const base = `The operation is too complex: cost ${measure.cost} exceeds ${limits.maxCost}`;
    const extensions: Record<string, unknown> = { cost: measure.cost, limit: limits.maxCost };
    const list = measure.costliestList;
    if (!list) return refuse(ErrorCode.QUERY_TOO_COMPLEX, base, extensions);
    const named = listNamed(list);
    Object.assign(extensions, { field: list.coordinate, fieldCost: list.cost, ...(list.argument ? { argument: list.argument.name, [list.argument.name]: list.argument.value } : {}) });
    const { advice, pageThatFits } = costAdvice(list, measure.cost - limits.maxCost);
    if (pageThatFits !== undefined) extensions.pageThatFits = pageThatFits;
    return refuse(ErrorCode.QUERY_TOO_COMPLEX, `${base}; the costliest list is ${named} (${list.coordinate}), ${list.cost} each time it runs: ${advice}`, extensions, 400, positionOf(sent, list.node));
  }

  /**
   * An operation nested too deep, told the path to its deepest field and where that field is:
   * only refusals look for it, in one walk (each fragment walked once).
   */
  function depthRefusal(sent: SentOperation, depth: number): PolicyRefusal {
    const base = `The operation is too complex: depth ${depth} exceeds ${limits.maxDepth}`;
    const extensions: Record<string, unknown> = { depth, limit: limits.maxDepth };
    const deepest = deepestField(sent.document, sent.operation);
    const at = positionOf(sent, deepest?.node);
    if (!deepest || !at) return refuse(ErrorCode.QUERY_TOO_COMPLEX, base, extensions);
    return refuse(ErrorCode.QUERY_TOO_COMPLEX, `${base}; the deepest field is ${deepest.path}: ask for it through fewer levels`, { ...extensions, deepestField: deepest.path }, 400, at);
  }

  /**
   * An operation with too many aliases, or one response name selected too often in one
   * selection, told which selection (its response path, as the measure found it) and where its
   * first such field is.
   */
  function crowdedRefusal(sent: SentOperation, measure: OperationMeasure, what: "aliases" | "repeats", value: number, limit: number): PolicyRefusal {
    const base = `The operation is too complex: ${what} ${value} exceeds ${limit}`;
    const extensions: Record<string, unknown> = { [what]: value, limit };
    const place = what === "aliases" ? measure.mostAliased : measure.mostRepeated;
    const at = place && positionOf(sent, firstCrowding(sent.document, place));
    if (!place || !at) return refuse(ErrorCode.QUERY_TOO_COMPLEX, base, extensions);
    const where = place.path === "" ? "at the operation's root" : `under ${place.path}`;
    const detail =
      what === "aliases"
        ? `${where} ${place.count} fields are aliased: ask for fewer aliased fields there`
        : `${where} ${place.name} is selected ${place.count} times: select it once`;
    return refuse(ErrorCode.QUERY_TOO_COMPLEX, `${base}; ${detail}`, { ...extensions, path: place.path, ...(place.name ? { field: place.name } : {}) }, 400, at);
  }

  /** The general budget: `operations` points to the caller, then to its network's ceiling. */
  async function chargeGeneral(caller: Caller, operations: number): Promise<void> {
    let general = await deps.rateLimit(ownBudget(caller), operations);
    // An anonymous caller is its network already: its own budget is the tighter one.
    if (general.allowed && caller.key !== caller.network) general = await deps.networkRateLimit(networkBudget(caller), operations);
    if (!general.allowed) {
      countRateLimitRefusal("general");
      throw new PolicyRefusal(429, ErrorCode.RATE_LIMITED, rateLimitedMessage("requests", general.retryAfterSeconds), { retryAfterSeconds: general.retryAfterSeconds }, general.retryAfterSeconds);
    }
  }

  /**
   * The per-field budgets, over every run of a budgeted root field in the request. Answers
   * what gives their points back; throws the refusal (counted by chargeCostAndFields, which
   * knows whether it is the request's).
   */
  async function chargeFields(admitted: readonly AdmittedOperation[], caller: Caller): Promise<() => Promise<void>> {
    const { refused, giveBack } = await deps.budgets.charge(
      admitted.flatMap((operation) => [...operation.measure.rootFields]),
      caller,
    );
    if (refused) {
      throw new PolicyRefusal(
        429,
        ErrorCode.RATE_LIMITED,
        rateLimitedMessage(`${refused.budget} requests`, refused.retryAfterSeconds),
        { retryAfterSeconds: refused.retryAfterSeconds, budget: refused.budget },
        refused.retryAfterSeconds,
      );
    }
    return giveBack;
  }

  /**
   * The cost budget (`cost`, see chargeCost) and the per-field budgets charged together, so
   * their round trips to Redis ride in one script (redis-budget-store.ts): a checkout's cost
   * and checkout budgets were two round trips one after the other. All or nothing: a refusal
   * by either gives back what the other took, as if it had not been charged. The cost budget's
   * refusal comes first (it was charged first), and is let pass as `costCharge` decides.
   */
  async function chargeCostAndFields(costCharge: () => Promise<CostCharge | undefined>, cost: number, admitted: readonly AdmittedOperation[], caller: Caller): Promise<CostCharge | undefined> {
    const fields = chargeFields(admitted, caller);
    // Settled below whatever the cost budget says: never a rejection left unhandled meanwhile.
    fields.catch(() => undefined);
    let charged: CostCharge | undefined;
    try {
      charged = await costCharge();
    } catch (error) {
      await fields.then((giveBack) => giveBack(), () => undefined).catch(() => undefined);
      throw error;
    }
    try {
      await fields;
    } catch (error) {
      // Refused by a per-field budget: what the cost budget was charged goes back.
      if (error instanceof PolicyRefusal && typeof error.extensions.budget === "string") countRateLimitRefusal(error.extensions.budget);
      if (charged) await costBudget?.refund(charged, cost).catch(() => undefined);
      throw error;
    }
    return charged;
  }

  /**
   * Charges the request's measured cost to the caller's cost budget and its network's ceiling,
   * refused as the general budget is (RATE_LIMITED with retryAfterSeconds). A cost over a
   * whole minute's budget can never pass: refused without touching the count. Returns what
   * was charged (nothing without a budget), for `settle` to give back what was not used.
   */
  async function chargeCost(cost: number, caller: Caller): Promise<CostCharge | undefined> {
    if (!costBudget || cost <= 0) return undefined;
    const decision = await costBudget.charge(cost, caller);
    if (decision.allowed) return decision.charge;
    if (decision.tooCostly) throw refuse(ErrorCode.QUERY_TOO_COMPLEX, "The request costs more than a minute's budget allows: send fewer operations at once");
    countRateLimitRefusal("cost");
    throw new PolicyRefusal(
      429,
      ErrorCode.RATE_LIMITED,
      rateLimitedMessage("expensive requests", decision.retryAfterSeconds),
      { retryAfterSeconds: decision.retryAfterSeconds, budget: "cost" },
      decision.retryAfterSeconds,
    );
  }

  /**
   * What a request's operations are charged: their measures, and the deposits of those whose
   * texts need planning, each cut to what a minute's budget leaves beside the measures (a text
   * must not become too costly to run, and so to plan, ever). Sets each operation's deposit.
   */
  function withPlanningDeposits(operations: readonly AdmittedOperation[], held: string[]): number {
    const measured = operations.reduce((sum, operation) => sum + operation.measure.cost + operation.inputCost, 0);
    let left = costBudget ? Math.max(0, deps.costRateLimit!.perMinute - measured) : 0;
    const now = Date.now();
    for (const operation of operations) {
      // A prepared text (every request but a new text's) holds nothing: its text is not hashed.
      if (operation.planningDeposit === 0) continue;
      const key = heldKey(operation);
      // Another admission holds this text's deposit: it is being planned for that one.
      if ((depositsHeld.get(key) ?? -Infinity) > now - DEPOSIT_HELD_MS) operation.planningDeposit = 0;
      operation.planningDeposit = Math.min(operation.planningDeposit, left);
      left -= operation.planningDeposit;
      if (operation.planningDeposit > 0) {
        depositsHeld.delete(key);
        depositsHeld.set(key, now);
        held.push(key);
      }
    }
    for (const oldest of depositsHeld.keys()) {
      if (depositsHeld.size <= DEPOSITS_HELD) break;
      depositsHeld.delete(oldest);
    }
    return operations.reduce((sum, operation) => sum + operation.planningDeposit, measured);
  }

  /** Runs a general or cost charge; a refusal is let pass for a request that only signs in (`signsIn`). */
  async function unlessSigningIn<T>(charge: () => Promise<T>, signsIn: () => boolean): Promise<T | undefined> {
    try {
      return await charge();
    } catch (error) {
      if (error instanceof PolicyRefusal && error.code === ErrorCode.RATE_LIMITED && signsIn()) return undefined;
      throw error;
    }
  }

  async function settle(operation: AdmittedOperation, charged: CostCharge | undefined, result: ExecutedResult, planningMs = 0): Promise<void> {
    // Run: planned, or planning failed; either way the next request of it judges afresh.
    if (operation.planningDeposit > 0 && charged === operation.charged) depositsHeld.delete(heldKey(operation));
    if (!costBudget || !charged) return;
    const measured = operation.measure.cost;
    // The deposit goes back but for what the planning took (nothing when it was planned already);
    // a re-read (a live subscription's) holds one only when its text had to be planned again.
    const deposit = charged === operation.charged ? operation.planningDeposit : (rereadDeposits.get(charged) ?? 0);
    const planningUnused = deposit - planningPoints(planningMs, deposit);
    // Paths the gateway nulled while completing values count as errors, whatever the transport:
    // what was fetched under them was work done (attack run 5, F3: WebSocket answers skipped this).
    const completion = Array.isArray(result.extensions?.valueCompletion) ? (result.extensions.valueCompletion as NonNullable<ExecutedResult["errors"]>) : [];
    const executed: ExecutedResult = completion.length > 0 ? { data: result.data, errors: [...(result.errors ?? []), ...completion] } : result;
    const unused = measured - actualOperationCost(operation.document, operation.operation, executed, measured, deps.listSizes) + planningUnused;
    await costBudget.refund(charged, unused).catch(() => undefined);
    await costBudget.spend(charged, ANSWER_ERROR_POINTS * fieldErrorsOf(executed)).catch(() => undefined);
  }

  return {
    /**
     * Admits every operation of one request, or refuses the whole request. `batched` is
     * whether the client sent a JSON array (the batch size limit applies).
     */
    async admit(requests: readonly OperationRequest[], caller: Caller, transport: Transport): Promise<AdmittedOperation[]> {
      if (requests.length === 0) throw refuse(ErrorCode.BAD_USER_INPUT, "The request holds no operation");
      if (requests.length > limits.maxBatchSize) throw refuse(ErrorCode.BAD_USER_INPUT, `A batch holds at most ${limits.maxBatchSize} operations`);
      let admitted: AdmittedOperation[] | undefined;
      const admitAll = () => (admitted ??= requests.map((request) => admitOne(request, transport)));
      // Judged only when a budget refuses, so the common path still charges before it parses.
      // A sign-in that also reads much (aliased lists on the returned user) is not one: past a
      // spent budget only what the storefront's own sign-in reads passes (attack run 5, F2).
      // A text naming no such field cannot be one: refused as it is, unparsed (a refused request
      // of 9,000 variables was admitted in full to find out, 8.6 ms each, at any rate).
      // A request its own admission refuses (an unknown persisted id, a text that does not
      // parse) signs in to nothing: the budget's refusal stands, closing its connection, where
      // that admission's 400 kept a spent caller's flood of unknown persisted ids answered on
      // one connection at no charge.
      const signsIn = () =>
        requests.every((request) => {
          const query = (request as OperationRequest | null)?.query;
          return typeof query !== "string" || mayNameOwnNetworkBudgetField(query);
        }) &&
        admittedOrRefused(admitAll)?.every((operation) => {
          const fields = [...operation.measure.rootFields.keys()];
          return operation.measure.cost <= SIGN_IN_COST && fields.some(hasOwnNetworkBudget) && fields.every((field) => field === "__typename" || hasOwnNetworkBudget(field));
        }) === true;
      await unlessSigningIn(() => chargeGeneral(caller, requests.length), signsIn);
      // Each mutation field runs as a request of its own would (see writesBeyondTheFirst): the
      // runs past each operation's first are charged once the text says how many there are.
      const writes = admitAll().reduce((sum, operation) => sum + writesBeyondTheFirst(operation), 0);
      if (writes > 0) await unlessSigningIn(() => chargeGeneral(caller, writes), signsIn);
      const held: string[] = [];
      let charged: CostCharge | undefined;
      let cost = 0;
      try {
        cost = withPlanningDeposits(admitAll(), held);
        charged = await chargeCostAndFields(() => unlessSigningIn(() => chargeCost(cost, caller), signsIn), cost, admitAll(), caller);
      } catch (error) {
        // Refused: nothing of it will be planned, so its deposits are held for nobody (what it
        // was charged went back in chargeCostAndFields).
        for (const key of held) depositsHeld.delete(key);
        throw error;
      }
      const operations = admitAll();
      if (charged) for (const operation of operations) operation.charged = charged;
      return operations;
    },

    /**
     * An admitted operation that will not run after all (a WebSocket subscribe refused once
     * admitted: the connection closing, no sign-in, the subscription cap): its deposit is held
     * for nobody and everything it was charged goes back.
     */
    async release(operation: AdmittedOperation): Promise<void> {
      if (operation.planningDeposit > 0) depositsHeld.delete(heldKey(operation));
      if (costBudget && operation.charged) await costBudget.refund(operation.charged, operation.measure.cost + operation.inputCost + operation.planningDeposit).catch(() => undefined);
    },

    /**
     * Charges an admitted operation that runs again without a new request (a live
     * subscription's re-read) as a new request of it would be charged: a general point, its
     * measure and budgeted fields, and a planning deposit when `runs` (the text the re-read
     * runs) is not prepared. Its limits were judged at admission and are not measured again.
     * Throws the PolicyRefusal such a request would get.
     */
    async readmit(operation: AdmittedOperation, caller: Caller, runs?: string): Promise<CostCharge | undefined> {
      await chargeGeneral(caller, 1);
      const measured = operation.measure.cost + operation.inputCost;
      // The text a re-read runs is planned again once the gateway has let its plan go (2,000
      // texts kept): charged a deposit then, as a new text over HTTP is, settled to what it took.
      const deposit = runs !== undefined && deps.isPrepared && !deps.isPrepared(runs, undefined) ? Math.min(PLANNING_DEPOSIT, costBudget ? Math.max(0, deps.costRateLimit!.perMinute - measured) : 0) : 0;
      const cost = measured + deposit;
      const charged = await chargeCostAndFields(() => chargeCost(cost, caller), cost, [operation], caller);
      if (charged && deposit > 0) rereadDeposits.set(charged, deposit);
      return charged;
    },

    /**
     * Settles an operation that has run: gives back to the cost budgets it was charged
     * (`charged`: its admission's, or a re-read's) the part of its measure its answer did not
     * cost (`actualOperationCost`), and of its planning deposit what planning it took
     * (`planningMs`) did not. Never throws: a refund that fails leaves the charge.
     */
    settle,

    /**
     * Settles every operation of an admitted request as its answers come (an HTTP batch's
     * answers come one by one, in any order): each answer settles the first unsettled
     * operation of the same text, name and variables, once; an answer matching none settles
     * nothing. Variables are part of the match: they set an operation's measure (`first: $n`,
     * `@skip(if: $s)`), and two copies of one text told apart by name alone let a skipped
     * copy's empty answer, ready first, give back the heavy copy's charge (attack run 5, F1).
     */
    settlementFor(admitted: readonly AdmittedOperation[], planningMs: (query: string, operationName: string | null | undefined) => number | undefined = () => undefined) {
      const unsettled = [...admitted];
      return async (request: { query?: string; operationName?: string | null; variables?: Record<string, unknown> | null }, result: ExecutedResult): Promise<void> => {
        const index = unsettled.findIndex(
          (operation) =>
            operation.query === request.query &&
            (operation.operationName ?? undefined) === (request.operationName ?? operation.operationName ?? undefined) &&
            isDeepStrictEqual(operation.variables, request.variables ?? {}),
        );
        if (index < 0) return;
        const [operation] = unsettled.splice(index, 1);
        await settle(operation!, operation!.charged, result, planningMs(operation!.query, request.operationName));
      };
    },

    /** Query texts held parsed now, and their characters (tests). */
    parsedKept: () => ({ texts: parsed.size, characters: parsed.weight }),
  };
}

export type RequestPolicy = ReturnType<typeof createRequestPolicy>;

/**
 * Cost points of each error a field's resolution put in an answer, charged once it has run,
 * beyond the operation's measure (which prices the fields, and keeps its whole charge for an
 * answer an error cut). An error took the platform about twenty times a field's CPU: thrown,
 * located and formatted by the subgraph, relayed, located and formatted again by the gateway,
 * each with a GraphQLError of its own. 100 products with 30 aliased `featuredImage { url(width:
 * 0) }` measured 6,201 and made 3,000 errors: 363 ms of CPU against 40 ms for the same page with
 * widths in range (CPU measured on a busy host): a network's guests could send 241 of them a minute
 * within their pool, 87 s of CPU a minute; priced, 22.
 */
export const ANSWER_ERROR_POINTS = 20;

/** The errors of an answer placed at a field (a path): what its resolution raised, not a request's refusal. */
function fieldErrorsOf(result: ExecutedResult): number {
  let count = 0;
  for (const error of result.errors ?? []) if (Array.isArray(error.path) && error.path.length > 0) count += 1;
  return count;
}

/**
 * General points a mutation takes beyond its operation's one: a point for each run of a
 * mutation field past its first (aliased, or spread from a root fragment), as if each had been
 * sent alone. The cost measure prices a mutation field as one field, yet each runs on its own,
 * one after another, as a write in a subgraph (a transaction, row locks, events): 30 aliased
 * updateCartItem took 467 ms of the platform's CPU against 31 ms for one, and a batch of ten
 * such operations, 20 KB and ten general points, 3.8 s; a caller's 600 points a minute bought
 * 18,000 cart writes. Introspection's `__typename` writes nothing.
 */
function writesBeyondTheFirst(operation: AdmittedOperation): number {
  if (operation.operation.operation !== "mutation") return 0;
  let runs = 0;
  for (const [field, count] of operation.measure.rootFields) if (!field.startsWith("__")) runs += count;
  return Math.max(0, runs - 1);
}

/**
 * Values of an operation's variables that cost nothing: a storefront operation sends a few
 * dozen (a checkout's address, a cart line); creating a product with 100 variants about a thousand.
 */
const INPUT_VALUES_FREE = 200;

/**
 * The cost points for what an operation's variables hold, one per JSON value past the first
 * INPUT_VALUES_FREE. Every value is coerced by the gateway and again by the subgraph it goes to,
 * whatever the operation selects: 2,500 option filters (72 KB) took 34 ms of CPU a request and
 * measured 11, so a caller's general budget bought a third of a core. Counted without recursion.
 */
function inputCostOf(variables: unknown): number {
  let values = 0;
  const pending: unknown[] = [variables];
  while (pending.length > 0) {
    const value = pending.pop();
    values += 1;
    if (value !== null && typeof value === "object") for (const item of Array.isArray(value) ? value : Object.values(value)) pending.push(item);
  }
  // The variables object itself is no value of the client's.
  return Math.max(0, values - 1 - INPUT_VALUES_FREE);
}

/** The operations `admit` answers, or undefined when their admission refuses them. */
function admittedOrRefused(admit: () => AdmittedOperation[]): AdmittedOperation[] | undefined {
  try {
    return admit();
  } catch (error) {
    if (error instanceof PolicyRefusal) return undefined;
    throw error;
  }
}

/** The operation to run: the named one, or the only one; anything else is the client's mistake. */
function chooseOperation(document: DocumentNode, operationName: string | undefined): OperationDefinitionNode {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  if (operations.length === 0) throw refuse(ErrorCode.BAD_USER_INPUT, "The document has no operation");
  if (operationName === undefined) {
    if (operations.length > 1) throw refuse(ErrorCode.BAD_USER_INPUT, "The document has several operations: say which one to run with operationName");
    return operations[0]!;
  }
  const named = operations.find((o) => o.name?.value === operationName);
  // The name is the client's text: quoted only when short, so a refusal stays small whatever was sent.
  if (!named) {
    const asked = operationName.length <= 100 ? `named ${JSON.stringify(operationName)}` : "of the given operationName";
    throw refuse(ErrorCode.BAD_USER_INPUT, `The document has no operation ${asked}${operationNamesHint(operations)}`);
  }
  return named;
}

