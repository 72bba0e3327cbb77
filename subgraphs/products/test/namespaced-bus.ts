import type { EventBus } from "#kernel";

/**
 * Prefixes every topic and consumer group, so a test on a shared Kafka sees only its own
 * events: topics such as `catalog.product-changed` and groups such as `search-indexer` are
 * fixed names, and runs (or test files running side by side) would otherwise share them.
 */
export function namespacedBus(namespace: string): (bus: EventBus) => EventBus {
  return (bus) => ({
    engine: bus.engine,
    publish: (topic, events) => bus.publish(`${namespace}.${topic}`, events),
    subscribe: (options) => bus.subscribe({ ...options, topic: `${namespace}.${options.topic}`, group: `${namespace}.${options.group}` }),
    close: () => bus.close(),
  });
}
