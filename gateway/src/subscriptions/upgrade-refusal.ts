import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { WebSocketServer } from "ws";
import { ErrorCode, NO_SNIFF } from "#kernel";

/** Why an upgrade is refused, answered as every other refusal is: JSON with `extensions.code`. */
export interface UpgradeRefusal {
  status: number;
  code: string;
  message: string;
}

const JSON_HEADERS = { "Content-Type": "application/json; charset=utf-8", [NO_SNIFF[0]]: NO_SNIFF[1] };
const bodyOf = (refusal: UpgradeRefusal) => JSON.stringify({ errors: [{ message: refusal.message, extensions: { code: refusal.code } }] });

/**
 * Makes `wsServer` judge every upgrade with `judge` and answer each refusal, its own included, in
 * JSON. The ws library answered an upgrade to another path a bare `400 Bad Request`, a foreign
 * page `401 Unauthorized` and a malformed handshake its own text, all as text/html.
 */
export function answerUpgradeRefusals(wsServer: WebSocketServer, path: string, judge: (req: IncomingMessage) => UpgradeRefusal | undefined): void {
  const options = wsServer.options as { verifyClient?: unknown };
  options.verifyClient = ({ req }: { req: IncomingMessage }, accept: (verified: boolean, status?: number, body?: string, headers?: Record<string, string>) => void) => {
    const refusal = (req.url ?? "").split("?")[0] === path ? judge(req) : { status: 404, code: ErrorCode.NOT_FOUND, message: `WebSocket connections are opened on ${path}` };
    if (refusal) accept(false, refusal.status, bodyOf(refusal), JSON_HEADERS);
    else accept(true);
  };
  // Every path reaches the judge above, which answers one that is not ours itself.
  wsServer.shouldHandle = () => true;
  // A handshake ws cannot read (its method, Upgrade, key, version or subprotocol header).
  wsServer.on("wsClientError", (error: Error, socket: Duplex) => {
    const refusal = { status: /method/i.test(error.message) ? 405 : 400, code: ErrorCode.BAD_USER_INPUT, message: `Not a WebSocket handshake: ${error.message}` };
    const body = bodyOf(refusal);
    socket.once("finish", () => socket.destroy());
    socket.end(
      `HTTP/1.1 ${refusal.status} ${refusal.status === 405 ? "Method Not Allowed" : "Bad Request"}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\n${NO_SNIFF[0]}: ${NO_SNIFF[1]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  });
}
