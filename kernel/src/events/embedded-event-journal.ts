import { Journal } from "../persistence/journal.js";
import type { DomainEvent } from "./event-bus.js";

/** What the journal needs of a topic: its retained log from `base` on, and its groups' positions. */
export interface JournaledTopic {
  name: string;
  /** Offset of `log[0]`: offsets are the topic's for ever, however much of the log was let go. */
  base: number;
  log: DomainEvent[];
  groups: Map<string, { offset: number; durable: boolean }>;
}

/** Events a topic keeps when no durable group reads it yet (a group that joins later starts from these). */
export const RETAINED_WITHOUT_READERS = 100_000;

type EventLogRecord =
  | { topic: string; offset: number; event: DomainEvent }
  | { topic: string; group: string; offset: number }
  | { topic: string; base: number };

/**
 * The embedded event bus's log and consumer offsets on disk: an event is journaled before
 * `publish` returns (so an outbox marks it published only once it would survive a restart),
 * and a durable group's offset after each window it handled (so a restart redelivers at most
 * that window). Groups that start at "latest" are live fan-out for one process and are not kept.
 */
export class EmbeddedEventJournal {
  private constructor(private readonly journal: Journal<EventLogRecord>) {}

  static async open(
    dir: string,
    log: {
      topics(): Iterable<JournaledTopic>;
      topic(name: string): JournaledTopic;
      /** The durable group, created at the topic's start when new. */
      group(topic: JournaledTopic, name: string): { offset: number };
    },
    options: { onWarning?: (message: string, detail: Record<string, unknown>) => void; compactAfter?: number } = {},
  ): Promise<EmbeddedEventJournal> {
    const journal = await Journal.open<EventLogRecord>({
      dir,
      apply: (record) => {
        const target = log.topic(record.topic);
        if ("event" in record) restoreEvent(target, record.offset, record.event);
        else if ("group" in record) {
          const group = log.group(target, record.group);
          group.offset = Math.max(group.offset, record.offset);
        } else letGo(target, record.base);
      },
      snapshot: function* () {
        for (const target of log.topics()) {
          const durable = [...target.groups.entries()].filter(([, group]) => group.durable);
          for (const [group, { offset }] of durable) yield { topic: target.name, group, offset };
          const end = target.base + target.log.length;
          const from = durable.length ? Math.min(...durable.map(([, group]) => group.offset)) : Math.max(target.base, end - RETAINED_WITHOUT_READERS);
          yield { topic: target.name, base: from };
          // By offset, not index: the log may be let go of at its head while this runs.
          for (let offset = from; offset < target.base + target.log.length; offset++) {
            if (offset >= target.base) yield { topic: target.name, offset, event: target.log[offset - target.base]! };
          }
        }
      },
      onWarning: options.onWarning,
      compactAfter: options.compactAfter,
    });
    return new EmbeddedEventJournal(journal);
  }

  /** Resolves once `events`, the topic's from `offset` on, are durable. */
  appended(topic: string, offset: number, events: readonly DomainEvent[]): Promise<void> {
    return this.journal.append(events.map((event, i) => ({ topic, offset: offset + i, event })));
  }

  committed(topic: string, group: string, offset: number): Promise<void> {
    return this.journal.append([{ topic, group, offset }]);
  }

  close(): Promise<void> {
    return this.journal.close();
  }
}

/** Replaying an event already held changes nothing; one past the end extends the log; a gap is damage. */
function restoreEvent(topic: JournaledTopic, offset: number, event: DomainEvent): void {
  const end = topic.base + topic.log.length;
  if (offset < end) return;
  if (offset > end) {
    if (topic.log.length > 0) throw new Error(`topic ${topic.name} misses events ${end} to ${offset - 1}`);
    topic.base = offset;
  }
  topic.log.push(event);
}

/** Drops the events before `base` (every durable group read them). */
export function letGo(topic: JournaledTopic, base: number): void {
  if (base <= topic.base) return;
  topic.log.splice(0, Math.min(base - topic.base, topic.log.length));
  topic.base = base;
}
