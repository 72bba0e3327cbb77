/** A Prometheus rule file holding alerting rules (the part deploy/prometheus/alerts.yml uses). */
export interface AlertRules {
  groups: { name: string; rules: { alert: string; expr: string; for?: string; labels: { severity: string }; annotations: { summary: string; description?: string } }[] }[];
}

const METRIC_NAME = /\bstorefront_[a-z0-9_]+\b/g;

/** Every metric name the rules' expressions read, sorted. */
export function alertMetricNames(rules: AlertRules): string[] {
  return [...new Set(rules.groups.flatMap((group) => group.rules.flatMap((rule) => rule.expr.match(METRIC_NAME) ?? [])))].sort();
}
