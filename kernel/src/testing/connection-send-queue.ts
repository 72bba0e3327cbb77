import { readSocketTables, socketTableEntries } from "../http/kernel-send-queues.js";

/**
 * Bytes the kernel holds unacknowledged on the server's side of the TCP connection between
 * `serverPort` and the client's `clientPort`, on this machine (loopback): what it still has to
 * deliver, sent or not. Read from the kernel's socket tables by ports, not by descriptor, so a
 * socket the process has let go of (an orphan in FIN-WAIT-1, which keeps its bytes and no
 * descriptor) is counted too; 0 once the connection is gone.
 */
export async function heldForConnection(serverPort: number, clientPort: number): Promise<number> {
  let held = 0;
  for (const text of await readSocketTables()) {
    for (const entry of socketTableEntries(text)) if (entry.localPort === serverPort && entry.remotePort === clientPort) held += entry.unacknowledged;
  }
  return held;
}
