// What the tests of `npm start` as a command share: ports it may bind, and its environment.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";

export const PORT_VARIABLES = ["GATEWAY_PORT", "PRODUCTS_PORT", "SEARCH_PORT", "INVENTORY_PORT", "CART_PORT", "ORDERS_PORT", "PAYMENTS_PORT", "ACCOUNTS_PORT", "PAYMENT_SIMULATOR_PORT", "EMBEDDED_PG_PORT", "NOTIFICATIONS_PORT"];

/**
 * `count` free ports below the system's ephemeral range. A port asked of the system (listen on
 * 0) and released is handed to the next process that asks, and on a loaded machine a start
 * spends seconds loading before it binds: another test's server, or an outgoing connection,
 * took one of its ports in that window and the start failed "already in use". Below the range
 * only a process naming the port binds it.
 */
export async function freePorts(count: number): Promise<number[]> {
  const ephemeralFloor = Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]);
  const floor = 10_000;
  assert.ok(ephemeralFloor - floor > count * 10, `ephemeral ports start at ${ephemeralFloor}: no room below them`);
  const ports: number[] = [];
  for (let port = floor + Math.floor(Math.random() * (ephemeralFloor - floor - count * 10)); ports.length < count && port < ephemeralFloor; port++) {
    if (await canListen(port)) ports.push(port);
  }
  assert.equal(ports.length, count, "free ports below the ephemeral range");
  return ports;
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

export async function portsEnv(): Promise<Record<string, string>> {
  const ports = await freePorts(PORT_VARIABLES.length);
  return Object.fromEntries(PORT_VARIABLES.map((name, i) => [name, String(ports[i])]));
}

/**
 * `npm start` on embedded engines, whatever engine URLs the suite runs with (a start on the
 * real ones would not share a data directory at all), and with Node's own warnings off: the
 * test is about the one line this project prints.
 */
export function startEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, NODE_NO_WARNINGS: "1", APP_ENV: "development", HOST: "127.0.0.1", LOG_LEVEL: "silent", ...env };
}

