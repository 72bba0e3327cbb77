// What one look of the stall watch costs with many sockets open: the kernel writing its TCP
// tables (/proc/net/tcp, /proc/net/tcp6) and this process parsing them, and the wait the watch
// then takes before its next look.
//
//   npx tsx bench/stall-watch-scan.ts [--sockets 1000,10000,20000] [--looks 5]
//
// Opens loopback connections to a server of its own (each is two sockets of the namespace),
// looks for one of them as the watch does, and prints per size the median look's wall time,
// its user and system CPU (this process, every thread), and the interval that follows.
// Needs `ulimit -n` above twice the largest size.
import { once } from "node:events";
import { createServer, connect, type AddressInfo, type Socket } from "node:net";
import { parseArgs } from "node:util";
import { socketInode, unacknowledgedBytes } from "../kernel/src/http/kernel-send-queues.js";
import { lookInterval } from "../kernel/src/http/stalled-reader-reset.js";

const { values: args } = parseArgs({ options: { sockets: { type: "string", default: "1000,10000,20000" }, looks: { type: "string", default: "5" } } });
const sizes = args.sockets.split(",").map(Number);
const LOOKS = Number(args.looks);

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const server = createServer((socket) => socket.on("error", () => {}));
await once(server.listen(0, "127.0.0.1", 4_096), "listening");
const port = (server.address() as AddressInfo).port;
const clients: Socket[] = [];

async function openUpTo(connections: number): Promise<void> {
  while (clients.length < connections) {
    const batch = Math.min(500, connections - clients.length);
    await Promise.all(
      Array.from({ length: batch }, () => {
        const socket = connect(port, "127.0.0.1");
        clients.push(socket);
        return once(socket, "connect");
      }),
    );
  }
}

console.log(`machine: node ${process.version}; each connection is two sockets of the namespace`);
console.log("connections | sockets listed | look wall ms | user ms | system ms | next look in ms");
for (const connections of sizes) {
  await openUpTo(connections);
  const inode = await socketInode(clients[0]!);
  if (!inode) throw new Error("no socket tables here (not Linux?)");
  const walls: number[] = [];
  const users: number[] = [];
  const systems: number[] = [];
  let listed = 0;
  for (let look = 0; look < LOOKS; look++) {
    const cpu = process.cpuUsage();
    let took = 0;
    const found = await unacknowledgedBytes(new Set([inode]), (ms) => (took = ms));
    const spent = process.cpuUsage(cpu);
    if (found?.get(inode) === undefined) throw new Error("the watched socket was not found in the tables");
    walls.push(took);
    users.push(spent.user / 1000);
    systems.push(spent.system / 1000);
    if (look === 0) listed = await countListed();
  }
  const wall = median(walls);
  console.log(`${connections} | ${listed} | ${wall.toFixed(1)} | ${median(users).toFixed(1)} | ${median(systems).toFixed(1)} | ${lookInterval(wall).toFixed(0)}`);
}
for (const socket of clients) socket.destroy();
server.close();

async function countListed(): Promise<number> {
  const { readFile } = await import("node:fs/promises");
  let lines = 0;
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) lines += (await readFile(table, "latin1")).split("\n").length - 2;
  return lines;
}
