import type { Socket } from "node:net";
import { socketInode, unacknowledgedBytes } from "./kernel-send-queues.js";
import { resetSocket } from "./unread-answer-reset.js";

/**
 * How long a socket may hold bytes its client has not acknowledged without the client taking a
 * single one of them. A client that reads, however slowly, opens its window and acknowledges
 * something every round trip or two; one that stopped reading (or whose network is gone) holds
 * a shut window, and everything the server's kernel took for it stays there.
 */
export const STALLED_READER_MS = 15_000;

/**
 * How many stall deadlines a client may take to read what the server's kernel holds for it, at
 * the pace it has been reading (60 s with the 15 s deadline). A client acknowledging a segment
 * now and then is never stalled, yet at 1 KB/s it would hold a 1.7 MB answer for half an hour:
 * the kernel grows a socket's send buffer to its link (a few hundred KB on a slow one, up to
 * 4 MB), so a reader whose own link is the limit drains it within seconds.
 */
const DRAIN_DEADLINES = 4;
/** What the kernel may hold for a client, however slowly it reads: a fast link's round trip of data. */
const HELD_BYTES_FLOOR = 64 * 1024;

/** The least time between two looks at the kernel's socket tables. */
const MIN_SCAN_INTERVAL_MS = 1_000;
/**
 * A look at the tables takes at most a fiftieth of the time between looks, up to the longest
 * wait, a stall deadline: a stall is then reset within three deadlines of its start however many
 * sockets the namespace holds (a look at 21,000 sockets took 70-150 ms, one at 50,000 would
 * take about three times that).
 */
const SCAN_COST_SHARE = 50;
const MAX_SCAN_INTERVAL_MS = STALLED_READER_MS;

/** The time until the next look after one that took `scanMs` (reading and parsing the tables). */
export const lookInterval = (scanMs: number) => Math.min(MAX_SCAN_INTERVAL_MS, Math.max(MIN_SCAN_INTERVAL_MS, scanMs * SCAN_COST_SHARE));

interface Watched {
  stallMs: number;
  /** The socket's inode once looked up; null where it has none the tables list. */
  inode?: string | null;
  /** Bytes handed to the kernel the client has acknowledged, as last seen. */
  acknowledged: number;
  /** When the client last acknowledged something (or the socket last had everything taken). */
  progressAt: number;
  /** Bytes handed to the kernel up to which the client is known to have taken everything. */
  drainedUpTo: number;
  /** Whether the client was last seen holding bytes back: a stall is timed from when it began. */
  holding: boolean;
  /**
   * Since when the kernel has held more than HELD_BYTES_FLOOR for the client at every look, and
   * what it had acknowledged then: its pace over that time is its own, not what it was sent.
   */
  backlog?: { at: number; acknowledged: number };
}

interface DispatchedBytesOwner {
  /** Bytes Node has handed to libuv, which writes what the kernel takes and queues the rest. */
  _bytesDispatched?: number;
  _handle?: { writeQueueSize?: number } | null;
}

/**
 * Bytes of `socket` the kernel has taken: handed to libuv, less what libuv still queues. Not
 * `bytesWritten` less `writableLength`: a write in progress counts in both until it completes,
 * so an answer larger than the kernel takes showed nothing taken until the kernel had it all.
 */
export function handedToKernel(socket: Socket): number {
  const owner = socket as unknown as DispatchedBytesOwner;
  return (owner._bytesDispatched ?? 0) - (owner._handle?.writeQueueSize ?? 0);
}

const watched = new Map<Socket, Watched>();
let scheduled: NodeJS.Timeout | undefined;
/** False once the tables proved unreadable here (not Linux): nothing is watched then. */
let tablesReadable = true;
let nextDelayMs = MIN_SCAN_INTERVAL_MS;

/**
 * Resets `socket` once its client has left bytes unacknowledged for `stallMs` without taking one.
 * An answer the kernel took whole finishes at once as far as Node knows, and a kept-alive
 * socket then waits for the client's next request for the keep-alive timeout (65 s), however
 * much of its answer is still unread: 64 sockets of one address that asked a 534 KB answer
 * each and read none parked 21.7 MB in the gateway's kernel for those 65 s, renewed at the
 * pace of its budgets (a network's guests could park about 90 MB this way, a /48 sixteen
 * times that). A client that reads, however slowly, is not stalled; one that reads too slowly
 * to take what the kernel holds for it within DRAIN_DEADLINES deadlines is cut as well.
 *
 * One watch for the process, however many servers it runs: each look reads the kernel's table
 * of every socket of the network namespace, so looks are spaced by what the last one cost, and
 * only sockets with bytes not yet known taken are looked for.
 */
export function resetWhenStalled(socket: Socket, stallMs: number = STALLED_READER_MS): void {
  if (!tablesReadable) return;
  watched.set(socket, { stallMs, acknowledged: 0, progressAt: Date.now(), drainedUpTo: 0, holding: false });
  socket.once("close", () => watched.delete(socket));
  schedule();
}

function schedule(): void {
  if (scheduled || watched.size === 0 || !tablesReadable) return;
  scheduled = setTimeout(() => {
    void look()
      .catch(() => undefined)
      .finally(() => {
        scheduled = undefined;
        schedule();
      });
  }, nextDelayMs);
  scheduled.unref();
}

async function look(): Promise<void> {
  const now = Date.now();
  // Sockets whose kernel may still hold something of theirs; the count of handed bytes is
  // taken before the tables are read, so nothing handed meanwhile is counted as acknowledged.
  const suspects: { socket: Socket; state: Watched; handed: number }[] = [];
  for (const [socket, state] of watched) {
    const handed = handedToKernel(socket);
    if (socket.destroyed || state.inode === null || handed <= state.drainedUpTo) continue;
    suspects.push({ socket, state, handed });
  }
  if (suspects.length === 0) return;
  await Promise.all(suspects.filter((s) => s.state.inode === undefined).map(async (s) => (s.state.inode = (await socketInode(s.socket)) ?? null)));
  const inodes = new Set(suspects.flatMap((s) => (s.state.inode ? [s.state.inode] : [])));
  if (inodes.size === 0) return;
  const unacknowledged = await unacknowledgedBytes(inodes, (scanMs) => {
    nextDelayMs = lookInterval(scanMs);
  });
  if (!unacknowledged) {
    tablesReadable = false;
    watched.clear();
    return;
  }
  for (const { socket, state, handed } of suspects) {
    const left = state.inode ? unacknowledged.get(state.inode) : undefined;
    if (left === undefined || socket.destroyed) continue;
    if (left === 0) {
      state.drainedUpTo = handed;
      state.acknowledged = handed;
      state.holding = false;
      state.backlog = undefined;
      continue;
    }
    const acknowledged = handed - left;
    if (!state.holding) {
      state.holding = true;
      state.acknowledged = Math.max(state.acknowledged, acknowledged);
      state.progressAt = now;
      continue;
    }
    if (acknowledged > state.acknowledged) {
      state.acknowledged = acknowledged;
      state.progressAt = now;
    } else if (now - state.progressAt >= state.stallMs) {
      resetSocket(socket);
      continue;
    }
    if (left <= HELD_BYTES_FLOOR) {
      state.backlog = undefined;
      continue;
    }
    if (!state.backlog) {
      state.backlog = { at: now, acknowledged: state.acknowledged };
      continue;
    }
    // Its pace over at least one stall deadline of backlog: could it take what is held within DRAIN_DEADLINES of them?
    const paceMs = now - state.backlog.at;
    if (paceMs < state.stallMs) continue;
    const bytesPerMs = (state.acknowledged - state.backlog.acknowledged) / paceMs;
    if (left > bytesPerMs * DRAIN_DEADLINES * state.stallMs) resetSocket(socket);
    else state.backlog = { at: now, acknowledged: state.acknowledged };
  }
}
