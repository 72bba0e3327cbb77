/** Prometheus metric names this platform exports: its own, and Node's process metrics. */
const METRIC_NAME = /\b(?:storefront|nodejs|process)_[a-z0-9_]+\b/g;

interface Panel {
  targets?: { expr?: string }[];
  panels?: Panel[];
}

/** Every metric name a Grafana dashboard's queries (and template variables) read, sorted. */
export function dashboardMetricNames(dashboard: { panels?: Panel[]; templating?: { list?: { query?: unknown }[] } }): string[] {
  const expressions: string[] = [];
  const walk = (panels: Panel[] = []) => {
    for (const panel of panels) {
      for (const target of panel.targets ?? []) if (target.expr) expressions.push(target.expr);
      walk(panel.panels);
    }
  };
  walk(dashboard.panels);
  for (const variable of dashboard.templating?.list ?? []) expressions.push(JSON.stringify(variable.query ?? ""));
  return [...new Set(expressions.flatMap((expr) => expr.match(METRIC_NAME) ?? []))].sort();
}
