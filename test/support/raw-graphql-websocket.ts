import WebSocket from "ws";

/** A graphql-transport-ws message as the server sends it. */
export interface ServerMessage {
  type: string;
  id?: string;
  payload?: any;
}

/**
 * A bare graphql-ws connection that speaks the protocol by hand, so tests can send what a
 * well-behaved client library never would (floods, huge messages, odd payloads) and see
 * every message and the close code.
 */
export class RawGraphQLSocket {
  readonly messages: ServerMessage[] = [];
  closed?: { code: number; reason: string };
  private readonly waiters = new Set<() => void>();

  private constructor(readonly socket: WebSocket) {
    socket.on("message", (data) => {
      this.messages.push(JSON.parse(String(data)) as ServerMessage);
      this.wake();
    });
    socket.on("close", (code, reason) => {
      this.closed = { code, reason: String(reason) };
      this.wake();
    });
    socket.on("error", () => this.wake());
  }

  /** Opens a socket; resolves once it is open or already closed by the server. */
  static open(httpUrl: string): Promise<RawGraphQLSocket> {
    const socket = new WebSocket(httpUrl.replace(/^http/, "ws"), "graphql-transport-ws");
    const raw = new RawGraphQLSocket(socket);
    return new Promise((resolve) => {
      socket.once("open", () => resolve(raw));
      socket.once("close", () => resolve(raw));
      socket.once("error", () => resolve(raw));
    });
  }

  /** Opens a socket and completes the handshake (connection_ack expected). */
  static async connect(httpUrl: string, token?: string): Promise<RawGraphQLSocket> {
    const raw = await RawGraphQLSocket.open(httpUrl);
    raw.send({ type: "connection_init", payload: token ? { authorization: `Bearer ${token}` } : {} });
    await raw.waitFor((m) => m.type === "connection_ack");
    return raw;
  }

  send(message: unknown): void {
    this.socket.send(JSON.stringify(message));
  }

  subscribe(id: string, payload: Record<string, unknown>): void {
    this.send({ id, type: "subscribe", payload });
  }

  /** The first message (from the start of the connection) that matches, or the socket's close. */
  async waitFor(match: (message: ServerMessage) => boolean, timeoutMs = 10_000): Promise<ServerMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.find(match);
      if (found) return found;
      if (this.closed) throw new Error(`socket closed (${this.closed.code} ${this.closed.reason}) before the message came`);
      if (Date.now() > deadline) throw new Error(`no matching message in ${timeoutMs} ms: ${JSON.stringify(this.messages)}`);
      await new Promise<void>((resolve) => {
        const wake = () => resolve();
        this.waiters.add(wake);
        setTimeout(() => {
          this.waiters.delete(wake);
          resolve();
        }, 50);
      });
    }
  }

  /** The terminal messages (`next` then `complete`, or `error`) of one operation. */
  async result(id: string, timeoutMs = 10_000): Promise<{ next: ServerMessage[]; error?: ServerMessage }> {
    const end = await this.waitFor((m) => m.id === id && (m.type === "complete" || m.type === "error"), timeoutMs);
    return { next: this.messages.filter((m) => m.id === id && m.type === "next"), ...(end.type === "error" ? { error: end } : {}) };
  }

  async closedWith(timeoutMs = 10_000): Promise<{ code: number; reason: string }> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error("socket still open");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return this.closed;
  }

  close(): void {
    this.socket.close();
  }

  private wake(): void {
    for (const waiter of this.waiters) waiter();
    this.waiters.clear();
  }
}
