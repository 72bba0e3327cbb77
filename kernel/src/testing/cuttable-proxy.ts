import { connect, createServer, type Server, type Socket } from "node:net";

/**
 * A TCP proxy in front of an engine that a test (or a chaos run) can cut, without touching the
 * engine other processes share: `refuse` stops listening and resets every connection (the
 * engine is down), `stall` keeps accepting but forwards nothing either way (the engine hangs),
 * `pass` restores it (connections made during a stall are reset, as the engine's restart
 * would). `strand` keeps passing new connections but silences those open now for good (a
 * firewall or NAT that lost their state: no answer and no reset ever reaches either end), and
 * `delay` passes everything that many milliseconds late (a slow path).
 */
export interface CuttableProxy {
  port: number;
  /** `url` with its host and port replaced by the proxy's. */
  via(url: string): string;
  pass(): Promise<void>;
  refuse(): Promise<void>;
  stall(): Promise<void>;
  /** Silences the connections open now for good; new ones pass. */
  strand(): void;
  /** Every chunk either way is forwarded this many milliseconds late (0: at once). */
  delay(ms: number): void;
  close(): Promise<void>;
}

type Mode = "pass" | "refuse" | "stall";

export async function startCuttableProxy(target: { host: string; port: number }, options: { port?: number; host?: string } = {}): Promise<CuttableProxy> {
  const host = options.host ?? "127.0.0.1";
  let mode: Mode = "pass";
  const sockets = new Set<Socket>();
  const stalled = new Set<Socket>();
  const stranded = new WeakSet<Socket>();
  let delayMs = 0;
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on("error", () => undefined);
    socket.once("close", () => {
      sockets.delete(socket);
      stalled.delete(socket);
    });
  };
  const server: Server = createServer((client) => {
    track(client);
    if (mode === "stall") {
      stalled.add(client);
      return;
    }
    const upstream = connect(target.port, target.host);
    track(upstream);
    const forward = (to: Socket) => (chunk: Buffer) => {
      if (mode !== "pass" || stranded.has(client)) return;
      if (delayMs === 0) to.write(chunk);
      else setTimeout(() => !stranded.has(client) && to.write(chunk), delayMs);
    };
    client.on("data", forward(upstream));
    upstream.on("data", forward(client));
    client.once("close", () => upstream.destroy());
    upstream.once("close", () => client.destroy());
  });
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        server.off("error", reject);
        resolve((server.address() as { port: number }).port);
      });
    });
  const stopListening = () => new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
  const resetAll = (which: Iterable<Socket>) => {
    for (const socket of [...which]) socket.resetAndDestroy();
  };
  const port = await listen(options.port ?? 0);
  return {
    port,
    via(url) {
      const parsed = new URL(url);
      parsed.hostname = host;
      parsed.port = String(port);
      return parsed.toString();
    },
    async pass() {
      if (mode === "stall") resetAll(sockets);
      mode = "pass";
      if (!server.listening) await listen(port);
    },
    async refuse() {
      mode = "refuse";
      const closing = stopListening();
      resetAll(sockets);
      await closing;
    },
    async stall() {
      mode = "stall";
      if (!server.listening) await listen(port);
    },
    strand() {
      for (const socket of sockets) stranded.add(socket);
    },
    delay(ms) {
      delayMs = ms;
    },
    async close() {
      const closing = stopListening();
      resetAll(sockets);
      await closing;
    },
  };
}
