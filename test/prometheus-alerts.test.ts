import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { metricsRegistry } from "#kernel";
import { alertMetricNames, type AlertRules } from "./support/prometheus-alerts.js";

const rules = parse(readFileSync("deploy/prometheus/alerts.yml", "utf8")) as AlertRules;

describe("the Prometheus alert rules in deploy/prometheus/alerts.yml", () => {
  it("are a rule file Prometheus loads: named groups of alerts with an expression, a severity and a summary", () => {
    assert.ok(rules.groups.length > 0);
    const names = new Set<string>();
    for (const group of rules.groups) {
      assert.match(group.name, /^[a-z-]+$/);
      for (const rule of group.rules) {
        assert.match(rule.alert, /^Storefront[A-Za-z]+$/);
        assert.ok(!names.has(rule.alert), `${rule.alert} is defined twice`);
        names.add(rule.alert);
        assert.ok(rule.expr.trim().length > 0, rule.alert);
        assert.ok(["warning", "critical"].includes(rule.labels.severity), `${rule.alert}: severity ${rule.labels.severity}`);
        assert.ok(rule.annotations.summary.length > 0, rule.alert);
        if (rule.for !== undefined) assert.match(rule.for, /^\d+[smh]$/, rule.alert);
        // Brackets and parentheses balance: the cheapest check that an expression is whole.
        for (const [open, close] of [["(", ")"], ["[", "]"], ["{", "}"]] as const) {
          assert.equal(rule.expr.split(open).length, rule.expr.split(close).length, `${rule.alert}: ${open}${close} unbalanced`);
        }
      }
    }
  });

  it("read only metrics this platform defines", async () => {
    const defined = new Set((await metricsRegistry.getMetricsAsJSON()).map((metric) => metric.name));
    const unknown = alertMetricNames(rules).filter((name) => !defined.has(name.replace(/_(bucket|sum|count)$/, "")));
    assert.deepEqual(unknown, []);
  });
});
