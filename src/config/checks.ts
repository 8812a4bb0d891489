// The checks across options that no single option's parser can make, run
// by loadConfig once every value is read, so that a bad combination exits at
// start-up like a bad value does, worded the same way (invalid.ts).

import { existsSync } from 'node:fs';
import { formatDuration } from './duration';
import { invalidOption, invalidTogether } from './invalid';
import type { Loaded } from './loaded';
import type { CommandName } from './option';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

type RateKey = 'tradeRatio' | 'anomalyRate' | 'duplicateRate' | 'lateRate' | 'invalidRate';
const RATES: ReadonlyArray<readonly [RateKey, string]> = [
  ['tradeRatio', 'trade-ratio'],
  ['anomalyRate', 'anomaly-rate'],
  ['duplicateRate', 'duplicate-rate'],
  ['lateRate', 'late-rate'],
  ['invalidRate', 'invalid-rate'],
];

export function checkCommand(command: CommandName, loaded: Loaded): void {
  if (command === 'serve' || command === 'replay') checkAnalytics(loaded);
  if (command === 'serve') checkServe(loaded);
  if (command === 'gen') checkGen(loaded);
}

function checkAnalytics({ config, origin }: Loaded): void {
  if (config.indicatorWindow % config.indicatorSlide !== 0) {
    throw invalidOption(
      'indicator-window',
      formatDuration(config.indicatorWindow),
      `a multiple of --indicator-slide (${formatDuration(config.indicatorSlide)})`,
      origin['indicator-window'],
    );
  }
}

function checkServe({ config }: Loaded): void {
  if ((config.tlsCert === '') !== (config.tlsKey === '')) {
    throw invalidTogether(
      [
        ['tls-cert', config.tlsCert],
        ['tls-key', config.tlsKey],
      ],
      'both or neither',
    );
  }
  for (const [flag, path] of [
    ['tls-cert', config.tlsCert],
    ['tls-key', config.tlsKey],
  ] as const) {
    if (path !== '' && !existsSync(path)) throw invalidOption(flag, path, 'a readable PEM file');
  }
  const host = config.host !== '' ? config.host : config.tokenFile === '' ? '127.0.0.1' : '0.0.0.0';
  if (config.tokenFile === '' && !LOOPBACK.has(host)) {
    throw invalidOption('host', host, '127.0.0.1 without --token-file (a server without authentication listens on loopback only)');
  }
  if (config.source === 'kafka' && config.kafkaBrokers === '') {
    throw invalidOption('source', 'kafka', '--kafka-brokers too (host:port of the cluster)');
  }
}

function checkGen({ config, origin }: Loaded): void {
  for (const [key, flag] of RATES) {
    if (config[key] > 1) throw invalidOption(flag, config[key], 'a probability from 0 to 1', origin[flag]);
  }
  const injected = config.anomalyRate + config.duplicateRate + config.lateRate + config.invalidRate;
  // Rates that add up to exactly 1 in decimal may not in binary (0.1 + 0.2 + 0.3 + 0.4).
  if (injected > 1 + 1e-9) {
    throw invalidTogether(
      [
        ['anomaly-rate', config.anomalyRate],
        ['duplicate-rate', config.duplicateRate],
        ['late-rate', config.lateRate],
        ['invalid-rate', config.invalidRate],
      ],
      'a total of at most 1 (each record is at most one injection)',
    );
  }
}
