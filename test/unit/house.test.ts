// The shape of the code, so that it stays: every import between the source
// folders runs down a fixed order of rooms (the ground floor first), no
// files import each other in a loop, and no folder imports one above it.
// docs/architecture.md draws the same order.

import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';

const ROOT = join(__dirname, '..', '..', '..');
const SRC = join(ROOT, 'src');

/**
 * The rooms of src/, from the ground floor up. A file may import files of
 * its own room and of rooms listed before it, never after.
 */
export const ROOMS: readonly string[] = [
  '.', // errors.ts, log.ts, clock.ts: what every room may use
  'fb', // FlatBuffers: the generated code (fb/generated/, not checked here) and its field reader
  'records', // the vocabulary: records, ticks, alerts, rejections, formats, topics
  'single-executable', // where the packaged program finds its files
  'config', // options, their parsing and the reference
  'ring', // SharedArrayBuffer rings and the doorbell
  'native', // the CPU pinning addon
  'analytics', // SPEC §1 per partition, no I/O
  'ingest', // decoders and validation of input ticks
  'synthetic', // the synthetic feed (tickflow gen, --source synthetic)
  'partition', // the engine: placements, dispatch, workers, results, checkpoints
  'store', // SQLite
  'sources', // serve's tick sources: file, synthetic
  'kafka', // the Kafka port, mirror and source
  'serve/access', // tokens and rate limits
  'serve/hub', // channels, the result router, the resume log
  'serve/ws', // the /ws and /ingest endpoints
  'serve/http', // HTTP routes, static files, metrics
  'serve', // the server's wiring
  'cli', // the commands
];

interface SourceFile {
  readonly path: string;
  readonly room: string;
  readonly imports: string[];
}

function walk(dir: string, out: string[]): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (name.endsWith('.ts')) out.push(path);
  }
  return out;
}

function sources(): SourceFile[] {
  return walk(SRC, []).map((file) => {
    const text = readFileSync(file, 'utf8');
    const imports: string[] = [];
    for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+'(\.{1,2}\/[^']+)'/g)) {
      const target = resolve(dirname(file), m[1] as string);
      const path = existsSync(`${target}.ts`) ? `${target}.ts` : join(target, 'index.ts');
      imports.push(relative(SRC, path));
    }
    return { path: relative(SRC, file), room: relative(SRC, dirname(file)) || '.', imports };
  });
}

/** The cycles of a graph given as adjacency lists (Tarjan's strongly connected components of size > 1, or a self-loop). */
function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let index = 0;
  const stack: string[] = [];
  const on = new Set<string>();
  const indexOf = new Map<string, number>();
  const low = new Map<string, number>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    indexOf.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!indexOf.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (on.has(w)) {
        low.set(v, Math.min(low.get(v) as number, indexOf.get(w) as number));
      }
    }
    if (low.get(v) === indexOf.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop() as string;
        on.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!indexOf.has(v)) visit(v);
  return found;
}

describe('the house', () => {
  const files = sources().filter((f) => !f.path.startsWith('fb/generated/'));

  it('has no files that import each other in a loop', () => {
    assert.deepEqual(cycles(new Map(files.map((f) => [f.path, f.imports]))), []);
  });

  it('has no folders that import each other in a loop', () => {
    const graph = new Map<string, Set<string>>();
    for (const f of files) {
      const set = graph.get(f.room) ?? new Set<string>();
      for (const target of f.imports) {
        const room = dirname(target);
        if (room !== f.room) set.add(room);
      }
      graph.set(f.room, set);
    }
    assert.deepEqual(cycles(new Map([...graph].map(([k, v]) => [k, [...v]]))), []);
  });

  it('has no line of code over 140 characters (the formatter cannot break strings)', () => {
    // config/reference.ts holds the markdown of docs/configuration.md, whose table rows stay whole.
    const long = files
      .filter((f) => f.path !== 'config/reference.ts')
      .flatMap((f) =>
        readFileSync(join(SRC, f.path), 'utf8')
          .split('\n')
          .map((line, i) => [`${f.path}:${i + 1}`, line.length] as const)
          .filter(([, length]) => length > 140)
          .map(([where, length]) => `${where} (${length})`),
      );
    assert.deepEqual(long, []);
  });

  it('imports only down the order of rooms', () => {
    const rank = (room: string): number => ROOMS.indexOf(room);
    for (const f of files) assert.ok(rank(f.room) >= 0, `${f.path}: its folder ${f.room} is not in ROOMS`);
    const upward = files.flatMap((f) => f.imports.filter((t) => rank(dirname(t) || '.') > rank(f.room)).map((t) => `${f.path} -> ${t}`));
    assert.deepEqual(upward, []);
  });
});
