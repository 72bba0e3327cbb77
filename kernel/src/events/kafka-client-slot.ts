import type { Admin, Producer } from "kafkajs";

/**
 * A kafkajs producer or admin client, connected at its first use and shared by the calls after.
 *
 * kafkajs keeps a connection whose requests time out: a broker connection gone silent (a hung
 * broker, a network path that lost its state) failed every later call on that client for good,
 * though a new connection would have been served. So a call that fails gives its client up, and
 * the next call connects anew; the old client is let go in the background, as its disconnect may
 * itself wait on the silent connection. A failed connect is forgotten the same way.
 */
export class KafkaClientSlot<T extends Producer | Admin> {
  private current?: Promise<T>;
  /** Calls made through `use` and not yet settled, by the client they run on. */
  private readonly calls = new WeakMap<Promise<T>, Set<Promise<unknown>>>();

  constructor(private readonly create: () => T) {}

  /** The connected client, connecting one first if there is none. */
  connected(): Promise<T> {
    if (!this.current) {
      const client = this.create();
      const connecting: Promise<T> = client.connect().then(
        () => client,
        async (error: unknown) => {
          if (this.current === connecting) this.current = undefined;
          await client.disconnect().catch(() => undefined);
          throw error;
        },
      );
      this.current = connecting;
    }
    return this.current;
  }

  /** Runs `work` on the connected client; a failure gives that client up. */
  async use<R>(work: (client: T) => Promise<R>): Promise<R> {
    const client = this.connected();
    const call = client.then(work);
    this.track(client, call);
    try {
      return await call;
    } catch (error) {
      this.giveUp(client);
      throw error;
    }
  }

  private track(client: Promise<T>, call: Promise<unknown>): void {
    let calls = this.calls.get(client);
    if (!calls) this.calls.set(client, (calls = new Set()));
    calls.add(call);
    void call.then(
      () => calls.delete(call),
      () => calls.delete(call),
    );
  }

  /**
   * Forgets `client` if it is still the one in use (a later call may have replaced it already).
   * It is disconnected once `pending` (the call given up on, which kafkajs goes on retrying past
   * its caller's deadline) and every other call still running on it through `use` have settled:
   * disconnected before, a retry of such a call connected the client again, and that connection
   * stayed open for good, with nothing left to close it.
   */
  giveUp(client: Promise<T>, pending?: Promise<unknown>): void {
    if (this.current !== client) return;
    this.current = undefined;
    void Promise.allSettled([pending, ...(this.calls.get(client) ?? [])])
      .then(() => client)
      .then((stale) => stale.disconnect())
      .catch(() => undefined);
  }

  /** Disconnects the client in use, if one ever connected. */
  async close(): Promise<void> {
    const client = this.current;
    this.current = undefined;
    try {
      await (await client)?.disconnect();
    } catch {
      // It never connected; nothing to release.
    }
  }
}
