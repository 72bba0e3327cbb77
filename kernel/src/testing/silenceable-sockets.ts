import net from "node:net";
import type { ISocketFactory } from "kafkajs";

/**
 * A Kafka client's own connections, so a test can silence them without touching the broker
 * other processes share: `silence` makes every connection open now stop reading the broker's
 * answers (requests go out, nothing comes back), as a hung broker or a path that lost the
 * connection's state would; `open` counts those not yet closed.
 */
export function silenceableSockets(): { socketFactory: ISocketFactory; silence(): void; destroy(): void; open(): number } {
  const sockets: net.Socket[] = [];
  return {
    socketFactory: ({ host, port, onConnect }) => {
      const socket = net.connect({ host, port }, onConnect);
      sockets.push(socket);
      return socket;
    },
    silence: () => sockets.forEach((socket) => socket.pause()),
    destroy: () => sockets.forEach((socket) => socket.destroy()),
    open: () => sockets.filter((socket) => !socket.destroyed).length,
  };
}
