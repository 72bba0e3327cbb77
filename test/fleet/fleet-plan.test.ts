import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { missingEngines, planFleet, readFleetOptions, type FleetOptions } from "../../platform/fleet/fleet-plan.js";

const optionsOf = (argv: string[], env: Record<string, string> = {}): FleetOptions => {
  const read = readFleetOptions(argv, env);
  if ("problems" in read) throw new Error(read.problems.join("; "));
  return read.options;
};

describe("fleet plan", () => {
  it("runs 2 gateways and 2 of each subgraph by default, one payment simulator and one notification service, on consecutive ports", () => {
    const plan = planFleet(optionsOf([]));
    const names = plan.processes.map((p) => p.name);
    assert.equal(names.length, 2 + 7 * 2 + 2);
    assert.deepEqual(names.slice(0, 4), ["gateway-1", "gateway-2", "products-1", "products-2"]);
    assert.deepEqual(
      plan.processes.map((p) => p.port),
      Array.from({ length: 18 }, (_, i) => 4100 + i),
    );
    assert.equal(plan.processes.at(-1)!.env.NOTIFICATIONS_PORT, "4117");
    assert.deepEqual(plan.gatewayUrls, ["http://127.0.0.1:4100/graphql", "http://127.0.0.1:4101/graphql"]);
    assert.equal(plan.subgraphUrls.products, "http://127.0.0.1:4102/graphql,http://127.0.0.1:4103/graphql");
  });

  it("names an IPv6 host in brackets in every URL it plans", () => {
    const plan = planFleet(optionsOf(["--host", "::1", "--base-port", "5000"]));
    assert.equal(plan.gatewayUrls[0], "http://[::1]:5000/graphql");
    for (const list of Object.values(plan.subgraphUrls)) for (const url of list.split(",")) assert.equal(new URL(url).hostname, "[::1]", url);
  });

  it("gives every process the others' replica lists and its own port", () => {
    const plan = planFleet(optionsOf(["--replicas", "1", "--replicas-orders=3", "--base-port", "5000"]));
    const orders2 = plan.processes.find((p) => p.name === "orders-2")!;
    assert.equal(orders2.env.ORDERS_PORT, String(orders2.port));
    assert.equal(orders2.env.ORDERS_URL!.split(",").length, 3);
    assert.equal(orders2.env.INVENTORY_URL, plan.subgraphUrls.inventory);
    assert.equal(orders2.env.PAYMENT_PROVIDER_URL, plan.simulatorUrl);
    assert.equal(plan.processes.find((p) => p.kind === "gateway")!.env.GATEWAY_PORT, "5000");
    assert.equal(new Set(plan.processes.map((p) => p.env.KAFKA_CLIENT_ID)).size, plan.processes.length);
  });

  it("takes FLEET_* variables as defaults and the command line over them", () => {
    const options = optionsOf(["--gateways", "3"], { FLEET_GATEWAYS: "1", FLEET_REPLICAS: "4", FLEET_REPLICAS_PAYMENT_SIMULATOR: "0" });
    assert.equal(options.replicas.gateway, 3);
    assert.equal(options.replicas.cart, 4);
    assert.equal(options.replicas["payment-simulator"], 0);
  });

  it("refuses hostile or mistaken options, each named", () => {
    const read = readFleetOptions(["--replicas", "-1", "--gateways", "1e9", "--replicas-orders", "0", "--base-port", "80", "--bogus", "1", "stray", "--replicas-notifications", "2"], { FLEET_REPLICAS: "x" });
    assert.ok("problems" in read);
    const text = read.problems.join("\n");
    for (const expected of [/--replicas must be a whole number from 0 to 16/, /--gateways must/, /at least one orders/, /--base-port must be at least 1024/, /unknown option --bogus/, /unknown argument "stray"/, /--replicas-notifications must be a whole number from 0 to 1/]) {
      assert.match(text, expected);
    }
  });

  it("needs the engines replicas must share, and MySQL once accounts has replicas", () => {
    assert.deepEqual(missingEngines(optionsOf(["--replicas", "1"]), { DATABASE_URL: "x", KAFKA_BROKERS: "x" }), ["REDIS_URL", "MONGO_URL"]);
    assert.deepEqual(missingEngines(optionsOf([]), { DATABASE_URL: "x", KAFKA_BROKERS: "x", REDIS_URL: "x", MONGO_URL: "x" }), ["MYSQL_URL"]);
  });
});
