/** Caps on WebSocket use, per process (see the README's security section for the settings). */
export interface WebSocketLimits {
  /** Open sockets in this process. */
  maxConnections: number;
  /** Open sockets from one client address. */
  maxConnectionsPerClient: number;
  /** Operations (queries, mutations, subscriptions) running at once on one socket. */
  maxOperationsPerConnection: number;
  /** Live subscriptions of one signed-in customer, across all their sockets. */
  maxSubscriptionsPerUser: number;
  /**
   * Bytes of ids, text, variables and parses held by the live subscriptions of every socket of this process
   * together, as each weighs (liveSubscriptionWeight; each at most MAX_LIVE_SUBSCRIPTION_BYTES).
   */
  maxLiveSubscriptionBytes: number;
  /** Messages one socket may send a second (a burst of as many); past that it is closed. */
  maxMessagesPerSecond: number;
  /** Bytes queued for a socket whose client does not read them; past that it is dropped. */
  maxBufferedBytes: number;
}

