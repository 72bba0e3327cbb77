import { readFile, readlink } from "node:fs/promises";
import type { Socket } from "node:net";

/**
 * What the kernel tells of this network namespace's TCP sockets: one line a socket, whose
 * `tx_queue` is `write_seq - snd_una`, the bytes handed to the kernel that the peer has not
 * acknowledged yet (sent or not), and whose last column of ours is the socket's inode. Node
 * exposes neither SIOCOUTQ nor TCP_INFO: this is the one way to tell a socket's unread bytes.
 */
const SOCKET_TABLES = ["/proc/net/tcp", "/proc/net/tcp6"];

interface FileHandleOwner {
  _handle?: { fd?: number } | null;
}

/**
 * The inode of `socket`'s descriptor, which names it in the kernel's socket tables; undefined
 * where there is no such table (not Linux) or the socket has no descriptor (closed).
 */
export async function socketInode(socket: Socket): Promise<string | undefined> {
  const fd = (socket as unknown as FileHandleOwner)._handle?.fd;
  if (fd === undefined || fd < 0) return undefined;
  try {
    return /^socket:\[(\d+)\]$/.exec(await readlink(`/proc/self/fd/${fd}`))?.[1];
  } catch {
    return undefined;
  }
}

/**
 * The unacknowledged bytes of each socket of `inodes` the kernel still lists, by inode, or
 * undefined where the tables cannot be read. A scan reads every socket of the namespace (about
 * 150 bytes each): callers pace themselves by `tookMs`, the time its reading held the thread.
 */
export async function unacknowledgedBytes(inodes: ReadonlySet<string>, tookMs?: (ms: number) => void): Promise<Map<string, number> | undefined> {
  const found = new Map<string, number>();
  let readAny = false;
  let held = 0;
  for (const table of SOCKET_TABLES) {
    let text: string;
    try {
      text = await readFile(table, "latin1");
    } catch {
      continue;
    }
    readAny = true;
    const started = performance.now();
    for (const line of text.split("\n")) {
      // "sl local rem st tx_queue:rx_queue tr:when retrnsmt uid timeout inode ..."
      const fields = line.trim().split(/\s+/);
      const inode = fields[9];
      if (inode === undefined || !inodes.has(inode)) continue;
      const queues = fields[4]!;
      found.set(inode, parseInt(queues.slice(0, queues.indexOf(":")), 16));
    }
    held += performance.now() - started;
  }
  tookMs?.(held);
  return readAny ? found : undefined;
}
