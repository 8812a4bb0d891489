import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { formatDuration, parseDuration } from '../../src/config/duration';
import { loadConfig } from '../../src/config/load';
import { AUTO_PARTITIONS, AUTO_RING, options, ringKibFor } from '../../src/config/options';
import { commandHelp } from '../../src/cli/help';
import { partitionsFor } from '../../src/partition/placement';

const dir = mkdtempSync(join(tmpdir(), 'tickflow-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('durations', () => {
  it('parses ms, s, m, h and bare milliseconds, and labels canonically', () => {
    assert.deepEqual(['250ms', '30s', '1m', '5m', '1h', '1500'].map(parseDuration), [250, 30_000, 60_000, 300_000, 3_600_000, 1500]);
    assert.deepEqual([undefined, undefined, undefined], ['0s', '-1s', '1d'].map(parseDuration));
    assert.deepEqual([60_000, 90_000, 1500, 3_600_000].map(formatDuration), ['1m', '90s', '1500ms', '1h']);
  });
});

describe('configuration', () => {
  it('has frozen defaults matching SPEC: intervals 1s,1m,5m, lateness 5000 ms, pinning on', () => {
    const { config } = loadConfig('replay', [], {});
    assert.ok(Object.isFrozen(config));
    assert.deepEqual(
      config.intervals.map((entry) => entry.label),
      ['1s', '1m', '5m'],
    );
    assert.equal(config.latenessMs, 5000);
    assert.equal(config.pin, true);
    assert.equal(config.partitions, AUTO_PARTITIONS, 'auto: each command picks from the cores');
  });

  it('picks the placement from the cores for auto: serve inline below 4 cores, replay workers from 2', () => {
    assert.deepEqual(
      [1, 2, 3, 4, 8].map((cores) => partitionsFor('serve', AUTO_PARTITIONS, cores)),
      [0, 0, 0, 2, 6],
    );
    assert.deepEqual(
      [1, 2, 3, 4, 8].map((cores) => partitionsFor('replay', AUTO_PARTITIONS, cores)),
      [1, 1, 2, 3, 7],
    );
    assert.equal(partitionsFor('serve', 3, 2), 3, 'a number given is kept');
    assert.equal(loadConfig('serve', ['--partitions', '0'], {}).config.partitions, 0, '0 asks for inline');
    assert.equal(loadConfig('serve', [], { TICKFLOW_PARTITIONS: 'auto' }).config.partitions, AUTO_PARTITIONS);
  });

  it('picks the ring size for auto by command: larger for replay, whose reading thread runs ahead', () => {
    assert.equal(loadConfig('replay', [], {}).config.ringKib, AUTO_RING);
    assert.deepEqual(
      (['replay', 'serve'] as const).map((command) => ringKibFor(command, AUTO_RING)),
      [8192, 1024],
    );
    assert.equal(ringKibFor('replay', 64), 64, 'a size given is kept');
    assert.equal(loadConfig('serve', ['--ring-kib', '64'], {}).config.ringKib, 64);
    assert.equal(loadConfig('replay', [], { TICKFLOW_RING_KIB: 'auto' }).config.ringKib, AUTO_RING);
  });

  it('takes flags over TICKFLOW_* variables over the config file', () => {
    const file = join(dir, 'tickflow.json');
    writeFileSync(file, JSON.stringify({ 'lateness-ms': 100, intervals: '1m', partitions: 3 }));
    const env = { TICKFLOW_LATENESS_MS: '200', TICKFLOW_CONFIG: file };
    const { config, origin } = loadConfig('replay', ['--lateness-ms=300', '--no-pin', 'in.ndjson'], env);
    assert.equal(config.latenessMs, 300);
    assert.deepEqual(config.intervals, [{ kind: 'time', size: 60_000, label: '1m' }]);
    assert.equal(config.partitions, 3);
    assert.equal(config.pin, false);
    assert.deepEqual([origin['lateness-ms'], origin.intervals, origin.pin, origin.format], ['flag', 'file', 'flag', 'default']);
    assert.equal(loadConfig('replay', [], env).config.latenessMs, 200);
  });

  it('names the config file from TICKFLOW_CONFIG as it does from --config, and says where it came from', () => {
    const file = join(dir, 'named.json');
    writeFileSync(file, JSON.stringify({ 'lateness-ms': 700 }));
    const fromEnv = loadConfig('replay', [], { TICKFLOW_CONFIG: file });
    assert.equal(fromEnv.config.config, file);
    assert.equal(fromEnv.config.latenessMs, 700);
    assert.deepEqual([fromEnv.origin.config, fromEnv.origin['lateness-ms']], ['env', 'file']);
    assert.equal(loadConfig('replay', ['--config', file], {}).origin.config, 'flag');
    assert.match(commandHelp('replay'), /--config <string>\n.*\[TICKFLOW_CONFIG\]/);
  });

  const BAD: Array<[string, string[], Record<string, string>, string]> = [
    ['a negative lateness', ['--lateness-ms', '-5'], {}, 'invalid configuration: --lateness-ms = "-5": expected an integer >= 0'],
    [
      'a fractional partition count',
      ['--partitions=1.5'],
      {},
      'invalid configuration: --partitions = "1.5": expected auto, or an integer from 0 (inline) to 256',
    ],
    [
      'a negative partition count from the environment',
      [],
      { TICKFLOW_PARTITIONS: '-1' },
      'invalid configuration: --partitions = "-1" (from TICKFLOW_PARTITIONS): expected auto, or an integer from 0 (inline) to 256',
    ],
    [
      'a ring too small',
      ['--ring-kib', '2'],
      {},
      'invalid configuration: --ring-kib = "2": expected auto, or an integer from 4 to 1048576',
    ],
    [
      'an interval list with a bad unit',
      ['--intervals', '1s,2d'],
      {},
      'invalid configuration: --intervals = "1s,2d": expected distinct durations (1s,1m,5m) or activity sizes (500t, 100000v, 1000000n), comma-separated',
    ],
    [
      'an activity bar of size 0',
      ['--intervals', '1s,0t'],
      {},
      'invalid configuration: --intervals = "1s,0t": expected distinct durations (1s,1m,5m) or activity sizes (500t, 100000v, 1000000n), comma-separated',
    ],
    [
      'duplicate intervals',
      ['--intervals', '60s,1m'],
      {},
      'invalid configuration: --intervals = "60s,1m": expected distinct durations (1s,1m,5m) or activity sizes (500t, 100000v, 1000000n), comma-separated',
    ],
    ['an unknown format', ['--format', 'xml'], {}, 'invalid configuration: --format = "xml": expected one of auto, ndjson, csv, fb'],
    [
      'a non-boolean pin variable',
      [],
      { TICKFLOW_PIN: 'maybe' },
      'invalid configuration: --pin = "maybe" (from TICKFLOW_PIN): expected true or false',
    ],
    ['a negative threshold', ['--spike-zscore', '-1'], {}, 'invalid configuration: --spike-zscore = "-1": expected a number >= 0'],
    ['a flag without its value', ['--out'], {}, 'invalid configuration: --out needs a value: expected a non-empty string'],
    ['an unknown flag', ['--bogus', '1'], {}, 'unknown option --bogus for tickflow replay; see tickflow replay --help'],
    ['a gen-only flag on replay', ['--seed', '1'], {}, 'unknown option --seed for tickflow replay; see tickflow replay --help'],
  ];
  for (const [name, argv, env, message] of BAD) {
    it(`refuses ${name} with one line naming the field, value and expectation`, () => {
      assert.throws(
        () => loadConfig('replay', argv, env),
        (err: Error & { code?: string }) => {
          assert.equal(err.message, message);
          assert.equal(err.code, 'ERR_TICKFLOW_CONFIG');
          assert.ok(!err.message.includes('\n'));
          return true;
        },
      );
    });
  }

  it('refuses an unknown or mistyped config-file key, and an unreadable file', () => {
    const unknown = join(dir, 'unknown.json');
    writeFileSync(unknown, JSON.stringify({ latency: 5 }));
    assert.throws(() => loadConfig('replay', ['--config', unknown], {}), /has unknown key "latency"/);
    const typed = join(dir, 'typed.json');
    writeFileSync(typed, JSON.stringify({ 'lateness-ms': [1] }));
    assert.throws(
      () => loadConfig('replay', ['--config', typed], {}),
      /--lateness-ms = \[1\] \(from config file\): expected an integer >= 0/,
    );
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{');
    assert.throws(() => loadConfig('replay', ['--config', broken], {}), /--config = ".*broken\.json": expected a file of valid JSON/);
    assert.throws(
      () => loadConfig('replay', ['--config', join(dir, 'absent.json')], {}),
      /--config = ".*absent\.json": expected a readable JSON file/,
    );
  });

  it('refuses an indicator window that is not a multiple of the slide, when the options are read', () => {
    assert.throws(() => loadConfig('replay', ['--indicator-window', '100s', '--indicator-slide', '30s'], {}), {
      code: 'ERR_TICKFLOW_CONFIG',
      message: 'invalid configuration: --indicator-window = "100s": expected a multiple of --indicator-slide (30s)',
    });
  });

  it('refuses options that do not go together, for serve and gen, with one line naming each', () => {
    assert.throws(() => loadConfig('serve', ['--tls-cert', 'cert.pem'], {}), {
      message: 'invalid configuration: --tls-cert = "cert.pem", --tls-key = "": expected both or neither',
    });
    assert.throws(() => loadConfig('serve', ['--host', '0.0.0.0'], {}), {
      message:
        'invalid configuration: --host = "0.0.0.0": expected 127.0.0.1 without --token-file (a server without ' +
        'authentication listens on loopback only)',
    });
    assert.throws(() => loadConfig('serve', ['--source', 'kafka'], {}), {
      message: 'invalid configuration: --source = "kafka": expected --kafka-brokers too (host:port of the cluster)',
    });
    assert.throws(
      () => loadConfig('gen', ['--late-rate', '0.6', '--invalid-rate', '0.6'], {}),
      /--anomaly-rate = 0, --duplicate-rate = 0, --late-rate = 0\.6, --invalid-rate = 0\.6: expected a total of at most 1/,
    );
    assert.throws(() => loadConfig('gen', [], { TICKFLOW_TRADE_RATIO: '1.5' }), {
      message: 'invalid configuration: --trade-ratio = 1.5 (from TICKFLOW_TRADE_RATIO): expected a probability from 0 to 1',
    });
  });

  it('documents every option of a command in its --help, with its variable and default', () => {
    const help = commandHelp('replay');
    for (const option of Object.values(options)) {
      if (!option.commands.includes('replay')) continue;
      assert.ok(help.includes(`--${option.flag}`), `--${option.flag} missing from help`);
    }
    assert.match(help, /--lateness-ms <integer>\n.*Default: 5000\. \[TICKFLOW_LATENESS_MS\]/);
  });
});
