// `npm run bench [-- SCENARIO... [--quick] [--runs N] ...]`: the HDR
// benchmark suite. Scenarios: ring, replay, live, fanout, soak, engines,
// flood and checkpoints (the last four run only when named: soak takes ten
// minutes, engines needs Java and Kafka's jars, flood measures one
// publisher's effect on the others rather than the engine's speed, and
// checkpoints plays a 7-minute feed). Each prints the machine and its
// settings, then writes bench/results/<scenario>.json, .hgrm files and a
// plot; `npm run bench:report` turns the summaries into docs/benchmarks.md.

import { initHdr } from './hdr';
import { machineLine } from './machine';
import { enginesScenario } from './scenarios/engines';
import { fanoutScenario } from './scenarios/fanout';
import { floodScenario } from './scenarios/flood';
import type { EngineKind } from './load/engine-process';
import { liveScenario } from './scenarios/live';
import { replayScenario } from './scenarios/replay';
import { replayOutputScenario } from './scenarios/replay-output';
import { ringScenario } from './scenarios/ring';
import { checkpointsScenario, defaultFeed } from './scenarios/checkpoints';
import { soakScenario } from './scenarios/soak';

const SCENARIOS = ['ring', 'replay', 'live', 'fanout', 'soak', 'engines', 'flood', 'checkpoints'] as const;
type Scenario = (typeof SCENARIOS)[number];
const DEFAULT: readonly Scenario[] = ['ring', 'replay', 'live', 'fanout'];

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? undefined : process.argv[i + 1];
}

function usage(message: string): never {
  console.error(`npm run bench: ${message}`);
  console.error(
    `usage: npm run bench -- [${SCENARIOS.join('|')} ...] [--quick] [--runs N] [--rates 1000,10000,...] [--minutes N] ` +
      `[--engine-args "--flag value"] [--engines floor,tickflow,baseline] [--before DIR (live: another built checkout, same runs)] ` +
      `[--control DIR (live: a second checkout of this build)] [--feed FILE --speed N --seconds N (checkpoints)]`,
  );
  process.exit(2);
}

function engines(text: string | undefined): EngineKind[] | undefined {
  if (text === undefined) return undefined;
  const names = text.split(',');
  for (const name of names)
    if (!['floor', 'tickflow', 'baseline'].includes(name))
      usage(`--engines takes floor, tickflow and baseline separated by commas, got "${text}"`);
  return names as EngineKind[];
}

function rates(text: string): number[] {
  const values = text.split(',').map(Number);
  for (const rate of values)
    if (!Number.isInteger(rate) || rate < 1) usage(`--rates must be positive integers (ticks/s) separated by commas, got "${text}"`);
  return values;
}

async function main(): Promise<void> {
  const values = new Set(
    [
      '--runs',
      '--rates',
      '--minutes',
      '--ticks',
      '--rate',
      '--engine-args',
      '--engines',
      '--before',
      '--control',
      '--feed',
      '--speed',
      '--seconds',
    ]
      .map((f) => process.argv.indexOf(f) + 1)
      .filter((i) => i > 0),
  );
  const named = process.argv.slice(2).filter((a, i) => !a.startsWith('--') && !values.has(i + 2));
  for (const name of named) if (!(SCENARIOS as readonly string[]).includes(name)) usage(`unknown scenario "${name}"`);
  const chosen = named.length > 0 ? (named as Scenario[]) : DEFAULT;
  const quick = process.argv.includes('--quick');
  const runs = Number(flag('runs') ?? (quick ? 1 : 3));
  if (!Number.isInteger(runs) || runs < 1) usage(`--runs must be a positive integer, got "${flag('runs')}"`);
  await initHdr();
  console.log(machineLine());
  console.log(`scenarios: ${chosen.join(', ')}; runs ${runs}${quick ? '; quick' : ''}`);
  for (const scenario of chosen) {
    console.log(`\n== ${scenario}`);
    switch (scenario) {
      case 'ring':
        await ringScenario({ records: quick ? 2_000_000 : 20_000_000, latencyRecords: quick ? 100_000 : 1_000_000, rate: 200_000, runs });
        break;
      case 'replay':
        await replayScenario({ ticks: Number(flag('ticks') ?? (quick ? 200_000 : 1_000_000)), runs, quick });
        // The output-heavy shape: short runs, so more of them for a steady median.
        replayOutputScenario({ runs: Math.max(5, runs) });
        break;
      case 'live':
        await liveScenario({
          rates: rates(flag('rates') ?? (quick ? '10000' : '1000,10000,50000,100000')),
          seconds: quick ? 5 : 20,
          runs,
          engineArgs: (flag('engine-args') ?? '').split(' ').filter((a) => a !== ''),
          engines: engines(flag('engines')),
          before: flag('before'),
          control: flag('control'),
        });
        break;
      case 'fanout':
        await fanoutScenario({ subscribers: 1000, seconds: quick ? 5 : 15, rate: Number(flag('rate') ?? 30_000) });
        break;
      case 'soak':
        await soakScenario({
          minutes: Number(flag('minutes') ?? 10),
          rate: 50_000,
          engines: engines(flag('engines')),
          engineArgs: (flag('engine-args') ?? '').split(' ').filter((a) => a !== ''),
        });
        break;
      case 'engines':
        await enginesScenario({ rates: rates(flag('rates') ?? (quick ? '1000' : '1000,5000')), seconds: quick ? 5 : 20, runs });
        break;
      case 'flood':
        await floodScenario({ frames: quick ? 20 : 60, quietSeconds: quick ? 2 : 5, runs });
        break;
      case 'checkpoints':
        await checkpointsScenario({
          feed: flag('feed') ?? defaultFeed(),
          speed: Number(flag('speed') ?? 2),
          rate: Number(flag('rate') ?? 1000),
          seconds: Number(flag('seconds') ?? (quick ? 200 : 400)),
          fullAfterSeconds: 160,
          engineArgs: (flag('engine-args') ?? '').split(' ').filter((a) => a !== ''),
        });
        break;
    }
  }
}

main().catch((err: unknown) => {
  console.error(`npm run bench: ${(err as Error).stack ?? String(err)}`);
  process.exit(1);
});
