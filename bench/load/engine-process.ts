// Starts the engine under test as a child process: `tickflow serve` (no
// source; ticks come through /ingest), the Node baseline server or the
// transport floor (bench/floor/relay.ts), and reads its CPU time and
// resident memory from /proc while it runs.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');
export const BASELINE_SERVER = join(ROOT, 'dist', 'bench', 'baseline', 'server.js');
export const FLOOR_RELAY = join(ROOT, 'dist', 'bench', 'floor', 'relay.js');

/**
 * `tickflow-before`: tickflow from another checkout (setOtherBuild), to
 * compare two builds in one run; `tickflow-control`: a second checkout of
 * this very build, whose difference from `tickflow` is the noise of the run.
 */
export type EngineKind = 'tickflow' | 'tickflow-before' | 'tickflow-control' | 'baseline' | 'floor';

const otherRoots = new Map<EngineKind, string>();

/** The root of another built checkout of tickflow, run as the engine `kind`. */
export function setOtherBuild(kind: 'tickflow-before' | 'tickflow-control', root: string): void {
  if (!existsSync(join(root, 'bin', 'tickflow.js')) || !existsSync(join(root, 'dist'))) {
    throw new Error(`${root} is not a built tickflow checkout (bin/tickflow.js and dist/ expected)`);
  }
  otherRoots.set(kind, root);
}

/** True for the engines that are builds of tickflow (they take tickflow's flags). */
export const isTickflow = (kind: EngineKind): boolean => kind === 'tickflow' || kind === 'tickflow-before' || kind === 'tickflow-control';

export interface EngineProcess {
  readonly kind: EngineKind;
  readonly port: number;
  readonly child: ChildProcess;
  /** user + system CPU seconds so far, of every thread. */
  cpuSeconds(): number;
  rssMb(): number;
  stop(): Promise<void>;
}

export function startEngine(kind: EngineKind, extra: readonly string[] = []): Promise<EngineProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'tickflow-bench-'));
  const args = isTickflow(kind)
    ? [
        join(otherRoots.get(kind) ?? ROOT, 'bin', 'tickflow.js'),
        'serve',
        '--source',
        'none',
        '--port',
        '0',
        '--log-format',
        'json',
        '--db',
        join(dir, 'bench.db'),
        ...extra,
      ]
    : [kind === 'baseline' ? BASELINE_SERVER : FLOOR_RELAY, '--port', '0', ...extra];
  // For profiling the engine under load, e.g. TICKFLOW_BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=prof".
  const nodeArgs = (process.env.TICKFLOW_BENCH_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
  const child = spawn(process.execPath, [...nodeArgs, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${kind} did not start within 30 s:\n${output}`));
    }, 30_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      for (const line of output.split('\n')) {
        let entry: { msg?: string; port?: number; listening?: number } = {};
        try {
          entry = JSON.parse(line) as typeof entry;
        } catch {
          continue;
        }
        const port =
          typeof entry.listening === 'number' ? entry.listening : entry.msg?.startsWith('listening') === true ? entry.port : undefined;
        if (typeof port !== 'number') continue;
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        child.stderr?.off('data', onData);
        child.stdout?.resume();
        child.stderr?.resume();
        resolve({
          kind,
          port,
          child,
          cpuSeconds: () => processCpuSeconds(child.pid as number),
          rssMb: () => processRssMb(child.pid as number),
          stop: async () => {
            if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
            const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
            await exited;
            clearTimeout(kill);
            rmSync(dir, { recursive: true, force: true });
          },
        });
        return;
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${kind} exited with ${code} before listening:\n${output}`));
    });
  });
}

/** The fields of /proc/<pid>/stat after the command name (field 3 onwards), so utime is [11]. */
function statFields(pid: number | 'self'): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** user + system CPU seconds of a running process, every thread. */
export function processCpuSeconds(pid: number): number {
  const fields = statFields(pid);
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** CPU seconds of this process's finished children (cutime + cstime). */
export function childCpuSeconds(): number {
  const fields = statFields('self');
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

export function processRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+)/.exec(status)?.[1];
  return kb === undefined ? NaN : Math.round(Number(kb) / 1024);
}
