// Deletes the topics earlier test runs left on the broker: every test namespaces its topics
// with a random 8-hex-digit token (t1a2b3c4d.orders.events, contract.close.074ae3d4,
// slow-key.9f8e7d6c), and nothing else on a test machine is named so. Left to accumulate, run
// after run, they reached ~20,000 partitions on one broker here, whose open files then passed
// the process limit and stopped it in the middle of a suite (`npm run test:all` calls this first).
import { Kafka, logLevel } from "kafkajs";

// The token holds a letter: a date (x.20261205) is not a test's token.
const TEST_TOPIC = /(^|[.-])t?(?=[0-9]*[a-f])[0-9a-f]{8}([.-]|$)/;
const brokers = (process.env.KAFKA_BROKERS ?? "").split(",").map((b) => b.trim()).filter(Boolean);
if (brokers.length === 0) {
  console.log("[kafka] KAFKA_BROKERS unset: no test topics to delete");
  process.exit(0);
}
const admin = new Kafka({ clientId: "test-topic-sweeper", brokers, logLevel: logLevel.NOTHING }).admin();
await admin.connect();
try {
  const leftovers = (await admin.listTopics()).filter((topic) => TEST_TOPIC.test(topic));
  // In slices: one request naming thousands of topics waits past the client's timeout.
  for (let i = 0; i < leftovers.length; i += 200) await admin.deleteTopics({ topics: leftovers.slice(i, i + 200), timeout: 60_000 });
  console.log(`[kafka] deleted ${leftovers.length} topics left by earlier test runs`);
} finally {
  await admin.disconnect();
}
