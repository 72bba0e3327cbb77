import type { LoadRequest } from "./load-run.js";

/**
 * Before a target is measured, `count` of the scenario's requests are sent to it one at a
 * time and each answer put to the request's own check (equal data to the reference): a peer
 * that answers differently is reported with what differs and left out, not measured.
 */
export async function checkTargetAnswers(url: string, next: (client: number) => LoadRequest, count: number, clients: number): Promise<{ checked: number; problems: string[] }> {
  const problems: string[] = [];
  for (let i = 0; i < count; i++) {
    const request = next(i % clients);
    let status = 0;
    let body = "";
    const headers: Record<string, string> = {};
    try {
      const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...request.headers }, body: request.body, signal: AbortSignal.timeout(10_000) });
      status = response.status;
      body = await response.text();
      response.headers.forEach((value, name) => (headers[name] = value));
    } catch (error) {
      problems.push(`request ${i + 1}: ${error instanceof Error ? error.message : String(error)}`);
      continue;
    }
    const problem = status >= 200 && status < 300 ? request.check(status, body, headers) : `HTTP ${status}: ${body.slice(0, 200)}`;
    if (problem) problems.push(`request ${i + 1}: ${problem}`);
  }
  return { checked: count, problems };
}
