// docs/operations.md documents every metric the server registers, and the
// example Prometheus and Grafana files use only metrics that exist, so
// neither can drift from the code.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { serverMetrics } from '../../src/serve/http/server-metrics';

const ROOT = join(__dirname, '..', '..', '..');
const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');

/** Every family, with the optional store, mirror and Kafka source families switched on. */
function registered(): string[] {
  const present = {} as never;
  return serverMetrics({
    startedAt: 0,
    latenessMs: 0,
    pipeline: present,
    router: present,
    hub: present,
    ingest: present,
    latency: present,
    clients: present,
    deadLetters: new Map(),
    store: present,
    mirror: present,
    kafkaSource: present,
    watermarks: present,
  }).names();
}

/** Metric names written as string literals anywhere in src/, wherever a family is registered. */
function literalsInSources(): Set<string> {
  const names = new Set<string>();
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.ts'))
        for (const m of readFileSync(path, 'utf8').matchAll(/'(tickflow_[a-z0-9_]+)'/g)) names.add(m[1] as string);
    }
  };
  walk(join(ROOT, 'src'));
  return names;
}

const mentioned = (text: string): Set<string> => new Set([...text.matchAll(/\btickflow_[a-z0-9_]+/g)].map((m) => m[0]));

describe('operations docs', () => {
  const names = registered();

  it('finds every metric name of the sources among the registered families', () => {
    assert.ok(names.length >= 30, `${names.length} families`);
    assert.deepEqual([...literalsInSources()].sort(), [...names].sort());
  });

  it('documents every registered metric in docs/operations.md, and no other', () => {
    const doc = read('docs/operations.md');
    for (const name of names) assert.ok(doc.includes(`| \`${name}\` |`), `${name} has no row in docs/operations.md`);
    for (const name of mentioned(doc))
      assert.ok(names.includes(name), `docs/operations.md names ${name}, which the server does not register`);
  });

  it('uses only real metric names in the Grafana dashboard and the Prometheus examples', () => {
    const dashboard = read('deploy/grafana-dashboard.json');
    const parsed = JSON.parse(dashboard) as { panels: Array<{ targets?: Array<{ expr: string }> }> };
    const exprs = parsed.panels.flatMap((p) => p.targets ?? []).map((t) => t.expr);
    assert.ok(exprs.length >= 10, `${exprs.length} queries`);
    for (const text of [dashboard, read('deploy/prometheus.yml'), read('deploy/prometheus-alerts.yml')]) {
      for (const name of mentioned(text)) assert.ok(names.includes(name), `${name} is not a tickflow metric`);
    }
    assert.ok(mentioned(dashboard).size >= 15, 'the dashboard covers most families');
  });
});
