/**
 * The answers to checkouts retried after a flash sale sold out, sorted into what the audit may
 * accept and what it may not. OUT_OF_STOCK is the right answer. SERVICE_UNAVAILABLE is the
 * machine refusing under load (admission, a shed request): it says nothing about stock, so it
 * is counted and reported apart instead of failing the run. Anything else (a placed order, an
 * internal error, a wrong code) is a wrong answer and fails it.
 */
export interface RetryVerdict {
  outOfStock: number;
  machineRefusals: number;
  /** Every other answer by its code ("PLACED" for a checkout that went through). */
  wrong: Record<string, number>;
}

const MACHINE_REFUSALS = new Set(["SERVICE_UNAVAILABLE"]);

export function judgeRetries(codes: ReadonlyMap<string, number>): RetryVerdict {
  const verdict: RetryVerdict = { outOfStock: 0, machineRefusals: 0, wrong: {} };
  for (const [code, count] of codes) {
    if (code === "OUT_OF_STOCK") verdict.outOfStock += count;
    else if (MACHINE_REFUSALS.has(code)) verdict.machineRefusals += count;
    else verdict.wrong[code] = (verdict.wrong[code] ?? 0) + count;
  }
  return verdict;
}

/** The audit's line for the retries, and whether they failed it. */
export function retryAuditLine(verdict: RetryVerdict): { line: string; failed: boolean } {
  const wrong = Object.entries(verdict.wrong);
  const refusals = verdict.machineRefusals > 0 ? `; ${verdict.machineRefusals} refused SERVICE_UNAVAILABLE by the loaded machine (not a stock answer, not counted wrong)` : "";
  if (wrong.length > 0) {
    return { line: `audit: a retry after the sell-out was not refused OUT_OF_STOCK: ${wrong.map(([code, n]) => `${n} ${code}`).join(", ")}${refusals}`, failed: true };
  }
  return { line: `audit: retries after the sell-out: ${verdict.outOfStock} refused OUT_OF_STOCK${refusals}`, failed: false };
}
