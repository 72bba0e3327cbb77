/**
 * What planning an operation took, carried from the gateway's executor to the cost settlement.
 *
 * The cost measure prices what an operation asks of the subgraphs; planning it is the gateway's
 * own work, done once per text and then reused, so a client sending its few operations pays it
 * once. A caller writing a new text for every request made the gateway plan every one: 30
 * products through one fragment planned in 45 ms, against 2 ms for the same text planned, and
 * one guest at its 10 operations a second held 44% of a core that way. So an operation whose
 * text the gateway has not prepared is charged a deposit at admission (the request policy),
 * and settled to the time its planning really took.
 */

/**
 * Cost points one millisecond of planning (the process's CPU time) is charged: a caller's
 * 150,000 a minute buy 0.375 s of it, a network's guests' pool 3.75 s (6% of a core).
 */
export const PLANNING_POINTS_PER_MS = 400;

/**
 * Points held at admission for an operation the gateway has not prepared: 50 ms of planning, the
 * most it is charged (never more than what is left of a minute's budget beside the request's
 * measure, so no operation is made too costly to ever run). The heaviest operations the limits
 * admit plan in 20 to 60 ms; the golden operations in 1 to 13 ms.
 */
export const PLANNING_DEPOSIT = 20_000;

/** Milliseconds spent planning the operations of one request, by `planningKey`. */
export type PlanningTimes = Map<string, number>;

/** An operation's key in `PlanningTimes`: its text and the name the client chose it by. */
export function planningKey(query: string, operationName: string | null | undefined): string {
  return `${operationName ?? ""}\u0000${query}`;
}

/** The points a planning of `milliseconds` is charged, at most the deposit held for it. */
export function planningPoints(milliseconds: number, deposit: number): number {
  return Math.min(deposit, Math.ceil(Math.max(0, milliseconds) * PLANNING_POINTS_PER_MS));
}
