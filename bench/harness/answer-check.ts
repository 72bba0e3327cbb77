import type { LoadRequest } from "./load-run.js";

/**
 * Before a target is measured, `count` of the scenario's requests are sent to it one at a
 * time and each answer put to the request's own check (equal data to the reference): a peer
 * that answers differently is reported with what differs and left out, not measured.
 */
export async function checkTargetAnswers(url: string, next: (client: number) => LoadRequest, count: number, clients: number): Promise<{ checked: number; problems: string[] }> {
  const problems: string[] = [];
  for (let i = 0; i < count; i++) {
    const problem = await answerProblem(url, next(i % clients), false);
    if (problem) problems.push(`request ${i + 1}: ${problem}`);
  }
  return { checked: count, problems };
}

/**
 * Sends requests a target must refuse (hostile tokens); each request's check judges the
 * answer whatever its HTTP status, since a refusal may well be a 401.
 */
export async function checkTargetRefusals(url: string, refusals: LoadRequest[]): Promise<string[]> {
  const problems: string[] = [];
  for (const request of refusals) {
    const problem = await answerProblem(url, request, true);
    if (problem) problems.push(problem);
  }
  return problems;
}

async function answerProblem(url: string, request: LoadRequest, anyStatus: boolean): Promise<string | undefined> {
  let status = 0;
  let body = "";
  const headers: Record<string, string> = {};
  try {
    const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...request.headers }, body: request.body, signal: AbortSignal.timeout(10_000) });
    status = response.status;
    body = await response.text();
    response.headers.forEach((value, name) => (headers[name] = value));
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  if (!anyStatus && (status < 200 || status >= 300)) return `HTTP ${status}: ${body.slice(0, 200)}`;
  return request.check(status, body, headers);
}
