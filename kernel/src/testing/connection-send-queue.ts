import { readFile } from "node:fs/promises";

/**
 * Bytes the kernel holds unacknowledged on the server's side of the TCP connection between
 * `serverPort` and the client's `clientPort`, on this machine (loopback): what it still has to
 * deliver, sent or not. Read from the kernel's socket tables by ports, not by descriptor, so a
 * socket the process has let go of (an orphan in FIN-WAIT-1, which keeps its bytes and no
 * descriptor) is counted too; 0 once the connection is gone.
 */
export async function heldForConnection(serverPort: number, clientPort: number): Promise<number> {
  let held = 0;
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    const text = await readFile(table, "latin1").catch(() => "");
    for (const line of text.split("\n").slice(1)) {
      // "sl local_address rem_address st tx_queue:rx_queue ...", addresses as HEXIP:HEXPORT
      const [, local, remote, , queues] = line.trim().split(/\s+/);
      if (!local || !remote || !queues) continue;
      if (portOf(local) !== serverPort || portOf(remote) !== clientPort) continue;
      held += parseInt(queues.slice(0, queues.indexOf(":")), 16);
    }
  }
  return held;
}

const portOf = (address: string): number => parseInt(address.slice(address.lastIndexOf(":") + 1), 16);
