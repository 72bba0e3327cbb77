import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A pass-through in front of the payment provider that can hold charges back on their way:
 * - `answers`: the provider has executed the charge (captured or declined) and stored the result
 *   under the call's idempotency key, and the payments process waits for an answer it has not
 *   recorded: the moment a crash of the payments process costs the most;
 * - `requests`: the call left the payments process and has not reached the provider yet; once
 *   released it executes whether its caller still waits or not, as a request in the network does.
 * Holding makes these moments ones a test can wait for by count (`held()`) instead of by time.
 */
export type HeldLeg = "answers" | "requests";

export interface HeldProviderCharges {
  url: string;
  /** From now on, charges wait at `leg` until `release`. */
  hold(leg: HeldLeg): void;
  /** Charges waiting now. */
  held(): number;
  /** Sends every held answer (to callers that may be gone) and stops holding. */
  release(): void;
  close(): Promise<void>;
}

export async function startHeldProviderCharges(providerUrl: string): Promise<HeldProviderCharges> {
  let holding: HeldLeg | undefined;
  let waiting: (() => void)[] = [];
  const server = createServer((request, response) => void forward(request, response));

  async function forward(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const headers = new Headers();
    for (const [name, value] of Object.entries(request.headers)) {
      if (typeof value === "string" && !["host", "connection", "content-length"].includes(name)) headers.set(name, value);
    }
    const isCharge = request.method === "POST" && request.url?.startsWith("/v1/charges") === true;
    if (holding === "requests" && isCharge) await new Promise<void>((resolve) => waiting.push(resolve));
    let answer: Response;
    try {
      answer = await fetch(`${providerUrl}${request.url ?? "/"}`, { method: request.method, headers, body: chunks.length > 0 ? Buffer.concat(chunks) : undefined });
    } catch {
      response.destroy();
      return;
    }
    const body = Buffer.from(await answer.arrayBuffer());
    if (holding === "answers" && isCharge) await new Promise<void>((resolve) => waiting.push(resolve));
    // The caller may have died meanwhile: its socket is gone and nothing is sent.
    if (response.destroyed || request.socket.destroyed) return;
    const out: Record<string, string> = {};
    answer.headers.forEach((value, name) => {
      if (!["content-length", "connection", "transfer-encoding", "content-encoding"].includes(name)) out[name] = value;
    });
    response.writeHead(answer.status, out).end(body);
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const release = () => {
    holding = undefined;
    const resolvers = waiting;
    waiting = [];
    for (const resolve of resolvers) resolve();
  };
  return {
    url: `http://127.0.0.1:${port}`,
    hold: (leg) => {
      holding = leg;
    },
    held: () => waiting.length,
    release,
    async close() {
      release();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
