import { createRequire } from "node:module";
import type { Socket } from "node:net";

/** The parts of kafkajs 2.2.4's broker connection the fix below touches. */
interface Connection {
  socket?: Socket;
  host: string;
  port: number;
  send(this: Connection, protocol: unknown): Promise<unknown>;
  rejectRequests(error: Error): void;
  disconnect(): Promise<boolean>;
}

const FIXED = Symbol.for("storefront.kafkajs.timedOutConnectionFix");

/**
 * A broker connection with a request past its timeout is closed, as the Java client does
 * ("disconnecting from node due to request timeout"): the next request opens a new one.
 *
 * kafkajs 2.2.4 keeps such a connection and sends every later request on it. One that has gone
 * silent (a hung broker, a network path that lost the connection's state) then times out every
 * request for good, though a new connection would be served: a consumer's fetch timed out and was
 * retried on the same socket five times, about 6 s each, before the consumer crashed and was
 * replaced, 43 s in all with no event delivered. The producer and admin clients give themselves
 * up after a failed call (KafkaClientSlot); this closes the connection under every client,
 * consumers included, at its first timeout. The requests still waiting on it fail as on a
 * connection the broker closed (retriable), so their callers retry on the new one.
 *
 * A broker merely slow to answer loses a connection it would have kept; a reconnect costs a
 * round trip or two, far less than the request that waited out its timeout.
 */
export function closeKafkaConnectionsOnRequestTimeout(): void {
  const require = createRequire(import.meta.url);
  const ConnectionClass = require("kafkajs/src/network/connection.js") as { prototype: Connection & { [FIXED]?: true } };
  const { KafkaJSConnectionClosedError } = require("kafkajs/src/errors.js") as { KafkaJSConnectionClosedError: new (message: string, details: object) => Error };
  const proto = ConnectionClass.prototype;
  if (proto[FIXED]) return;
  proto[FIXED] = true;

  const send = proto.send;
  proto.send = async function (this: Connection, protocol: unknown) {
    const socket = this.socket;
    try {
      return await send.call(this, protocol);
    } catch (error) {
      // Only the socket the request went out on: a reconnect meanwhile has its own.
      if ((error as Error | undefined)?.name === "KafkaJSRequestTimeoutError" && socket && this.socket === socket && !socket.destroyed) {
        this.rejectRequests(new KafkaJSConnectionClosedError("Closed connection: a request on it timed out", { host: this.host, port: this.port }));
        socket.destroy();
        void this.disconnect().catch(() => undefined);
      }
      throw error;
    }
  };
}
