// A graphql-ws client written frame by frame on a bare TCP socket, so a test decides what the
// TCP connection does (stop reading, send a FIN without a close frame, a close frame and no
// more), which a WebSocket library does for its user.
import { connect, type Socket } from "node:net";
import { waitFor } from "#kernel/testing";
import type { ServerMessage } from "../../../test/support/raw-graphql-websocket.js";

const OPCODE_TEXT = 0x1;
const OPCODE_CLOSE = 0x8;

export class TcpGraphQLWebSocket {
  readonly messages: ServerMessage[] = [];
  /** The close frame the server sent, once it was read. */
  closeFrame?: { code: number };
  /** Whether the server's side of the connection has closed (a FIN or a reset reached the client). */
  ended = false;
  private pending = Buffer.alloc(0);
  private upgraded = false;

  private constructor(readonly socket: Socket) {
    socket.on("error", () => {});
    socket.on("data", (chunk: Buffer) => this.take(chunk));
    socket.on("end", () => (this.ended = true));
    socket.on("close", () => (this.ended = true));
  }

  /** Opens a graphql-transport-ws socket to `httpUrl` and completes connection_init (ack expected). */
  static async connect(httpUrl: string, token?: string): Promise<TcpGraphQLWebSocket> {
    const url = new URL(httpUrl);
    // Half-open allowed: the client sends its FIN only when the test says so, not when the server sends its own.
    const socket = connect({ host: url.hostname, port: Number(url.port), allowHalfOpen: true });
    await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
    const client = new TcpGraphQLWebSocket(socket);
    socket.write(
      `GET ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n` +
        `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n`,
    );
    client.send({ type: "connection_init", payload: token ? { authorization: `Bearer ${token}` } : {} });
    await client.waitFor((message) => message.type === "connection_ack");
    return client;
  }

  /** The client's port: the server's side of the connection is found by it. */
  get localPort(): number {
    return this.socket.localPort!;
  }

  send(message: unknown): void {
    this.socket.write(frame(OPCODE_TEXT, Buffer.from(JSON.stringify(message))));
  }

  subscribe(id: string, payload: Record<string, unknown>): void {
    this.send({ id, type: "subscribe", payload });
  }

  /** Reads nothing more: what the server sends stays in the kernels, the window shuts. */
  stopReading(): void {
    this.socket.pause();
    (this.socket as unknown as { _handle?: { readStop?: () => void } })._handle?.readStop?.();
  }

  /** Sends a close frame (1000), and no FIN. */
  sendClose(): void {
    const code = Buffer.alloc(2);
    code.writeUInt16BE(1000);
    this.socket.write(frame(OPCODE_CLOSE, code));
  }

  /** Sends a FIN, without any close frame. */
  finish(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** The first message (from the start of the connection) that matches. */
  async waitFor(match: (message: ServerMessage) => boolean, timeoutMs = 10_000): Promise<ServerMessage> {
    let found: ServerMessage | undefined;
    await waitFor(
      "a matching message came",
      () => {
        found = this.messages.find(match);
        if (!found && this.closeFrame) throw new Error(`the server closed the socket (${this.closeFrame.code}) before the message came`);
        return !!found;
      },
      { timeoutMs },
    );
    return found!;
  }

  private take(chunk: Buffer): void {
    this.pending = Buffer.concat([this.pending, chunk]);
    if (!this.upgraded) {
      const end = this.pending.indexOf("\r\n\r\n");
      if (end < 0) return;
      this.upgraded = true;
      this.pending = this.pending.subarray(end + 4);
    }
    for (;;) {
      const parsed = serverFrame(this.pending);
      if (!parsed) return;
      this.pending = this.pending.subarray(parsed.size);
      if (parsed.opcode === OPCODE_TEXT) this.messages.push(JSON.parse(parsed.payload.toString("utf8")) as ServerMessage);
      if (parsed.opcode === OPCODE_CLOSE) this.closeFrame = { code: parsed.payload.length >= 2 ? parsed.payload.readUInt16BE(0) : 1005 };
    }
  }
}

/** A client frame: final, masked (with a zero key, which leaves the payload as it is). */
function frame(opcode: number, payload: Buffer): Buffer {
  const length = payload.length;
  const head = length < 126 ? Buffer.from([0x80 | opcode, 0x80 | length]) : Buffer.from([0x80 | opcode, 0x80 | 126, length >> 8, length & 0xff]);
  if (length > 0xffff) throw new Error("a message this large is not needed here");
  return Buffer.concat([head, Buffer.alloc(4), payload]);
}

/** One whole unmasked server frame at the start of `bytes`, or undefined until it has arrived. */
function serverFrame(bytes: Buffer): { opcode: number; payload: Buffer; size: number } | undefined {
  if (bytes.length < 2) return undefined;
  let length = bytes[1]! & 0x7f;
  let offset = 2;
  if (length === 126) {
    if (bytes.length < 4) return undefined;
    length = bytes.readUInt16BE(2);
    offset = 4;
  } else if (length === 127) {
    if (bytes.length < 10) return undefined;
    length = Number(bytes.readBigUInt64BE(2));
    offset = 10;
  }
  if (bytes.length < offset + length) return undefined;
  return { opcode: bytes[0]! & 0x0f, payload: bytes.subarray(offset, offset + length), size: offset + length };
}
