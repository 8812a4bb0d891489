#!/usr/bin/env node
// The Apache Flink anchor for tickflow's benchmarks: builds the Flink SQL job
// beside this file (once, with Maven, into .cache/flink-anchor), makes the
// tick file with `tickflow gen` when none is given, and runs the job in its
// throughput and latency modes. Plain CommonJS with no dependencies, so it
// runs without a build step and stays out of `npm test`.
//
//   node bench/anchors/flink/run.js [--ticks-file F] [--rate 10000] [--duration 60]
//       [--parallelism 1] [--warmup 0] [--modes throughput,latency] [--out bench/results/flink.json]
'use strict';

const { spawn, spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
const POM = path.join(__dirname, 'pom.xml');
const SOURCES = path.join(__dirname, 'src');
const CACHE_DIR = path.join(REPO_ROOT, '.cache');
const BUILD_DIR = path.join(CACHE_DIR, 'flink-anchor');
// Written last, holding a hash of the pom and the sources: present means the
// build finished, and any change to them invalidates it by itself.
const MARKER = path.join(BUILD_DIR, '.complete');
const RESULTS_DIR = path.join(REPO_ROOT, 'bench', 'results');
const MAIN_CLASS = 'tickflow.bench.flink.FlinkAnchor';

const INSTALL_HINT = 'the Flink anchor needs a JDK 17+ and Maven: apt-get install default-jdk-headless maven';
const MAVEN_TIMEOUT_MS = 20 * 60_000;

// A fixed heap, so that no run pays for growing it; 4 GiB is several times
// what the 1,000,000-tick feed's window state takes. No --add-opens:
// the job refuses Kryo, the only part of Flink 1.20 that needs them (README.md).
const JVM_OPTIONS = Object.freeze(['-Xms4g', '-Xmx4g', '-XX:+ExitOnOutOfMemoryError', '-Djava.awt.headless=true']);

const DEFAULTS = Object.freeze({
  ticksFile: undefined,
  rate: 10_000,
  duration: 60,
  parallelism: 1,
  warmup: 0,
  modes: ['throughput', 'latency'],
  out: path.join(RESULTS_DIR, 'flink.json'),
});

/** The feed bench/scenarios/replay.ts measures tickflow on, so both engines read the same bytes. */
const DEFAULT_FEED = Object.freeze({
  file: path.join(RESULTS_DIR, 'feed-1000000.ndjson'),
  args: ['--symbols', '100', '--rate', '10000', '--duration', '100s', '--seed', '1', '--format', 'ndjson'],
});

const USAGE =
  'usage: node bench/anchors/flink/run.js [--ticks-file F] [--rate N] [--duration S] [--parallelism P] ' +
  '[--warmup S] [--modes throughput,latency] [--out F]';

class UsageError extends Error {}

function parseArgs(argv) {
  const options = { ...DEFAULTS };
  const number = (name, text, { min, integer }) => {
    const value = Number(text);
    if (text === undefined || text === '' || !Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) {
      throw new UsageError(`--${name} must be ${integer ? 'an integer' : 'a number'} >= ${min}, got ${JSON.stringify(text ?? null)}`);
    }
    return value;
  };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    switch (flag) {
      case '--ticks-file':
        if (value === undefined || !fs.existsSync(value))
          throw new UsageError(`--ticks-file must name an existing file, got ${JSON.stringify(value ?? null)}`);
        options.ticksFile = path.resolve(value);
        break;
      case '--rate':
        options.rate = number('rate', value, { min: 1, integer: false });
        break;
      case '--duration':
        options.duration = number('duration', value, { min: 0.001, integer: false });
        break;
      case '--parallelism':
        options.parallelism = number('parallelism', value, { min: 1, integer: true });
        break;
      case '--warmup':
        options.warmup = number('warmup', value, { min: 0, integer: false });
        break;
      case '--modes': {
        const modes = String(value ?? '')
          .split(',')
          .filter(Boolean);
        if (modes.length === 0 || !modes.every((m) => m === 'throughput' || m === 'latency')) {
          throw new UsageError(`--modes must be throughput, latency or both separated by a comma, got ${JSON.stringify(value ?? null)}`);
        }
        options.modes = modes;
        break;
      }
      case '--out':
        if (value === undefined || value === '') throw new UsageError('--out needs a file name');
        options.out = path.resolve(value);
        break;
      case '--help':
        throw new UsageError(USAGE);
      default:
        throw new UsageError(`unknown option ${JSON.stringify(flag)}\n${USAGE}`);
    }
  }
  return options;
}

function javaVersion() {
  const result = spawnSync('java', ['-version'], { encoding: 'utf8', timeout: 60_000 });
  if (result.error !== undefined || result.status !== 0) throw new Error(`java not found: ${INSTALL_HINT}`);
  // `openjdk version "17.0.15" 2025-04-15`, or "1.8.0_412" for Java 8.
  const match = /version "(\d+)(?:\.(\d+))?[^"]*"/.exec(result.stderr);
  const major = match === null ? 0 : Number(match[1]) === 1 ? Number(match[2]) : Number(match[1]);
  if (major < 17) throw new Error(`java ${match?.[0] ?? '(unknown version)'} is too old: ${INSTALL_HINT}`);
  return result.stderr.split('\n')[0].trim();
}

function sourcesHash() {
  const hash = crypto.createHash('sha256').update(fs.readFileSync(POM));
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else hash.update(path.relative(SOURCES, file)).update(fs.readFileSync(file));
    }
  };
  walk(SOURCES);
  return hash.digest('hex');
}

/**
 * Builds the job into .cache/flink-anchor unless a finished build of these
 * very sources is there. Returns the seconds the build took, or null.
 */
function ensureBuilt() {
  const hash = sourcesHash();
  if (fs.existsSync(MARKER) && fs.readFileSync(MARKER, 'utf8').trim() === hash) return null;
  const mvn = spawnSync('mvn', ['-v'], { stdio: 'ignore', timeout: 60_000 });
  if (mvn.error !== undefined || mvn.status !== 0) throw new Error(`mvn not found: ${INSTALL_HINT}`);

  // Build into a fresh folder and rename it into place, so that an interrupted
  // build never leaves a half-filled folder that looks usable, and jars of an
  // older Flink never linger beside a newer one's.
  fs.mkdirSync(CACHE_DIR, { recursive: true });
  const staging = fs.mkdtempSync(path.join(CACHE_DIR, 'flink-anchor-partial-'));
  process.stderr.write(
    `building the Flink anchor with Maven into ${path.relative(REPO_ROOT, BUILD_DIR)} (Flink's jars come from Maven ` +
      `Central on first use) ...\n`,
  );
  const started = process.hrtime.bigint();
  const result = spawnSync('mvn', ['-q', '-B', '-f', POM, 'package', `-Danchor.buildDir=${staging}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
    timeout: MAVEN_TIMEOUT_MS,
  });
  if (result.error !== undefined || result.status !== 0) {
    fs.rmSync(staging, { recursive: true, force: true });
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n').slice(-30).join('\n');
    const why = result.error !== undefined ? result.error.message : `exit code ${result.status}`;
    throw new Error(`Maven could not build the Flink anchor (${why}); check that Maven Central is reachable.\n${output}`);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  fs.writeFileSync(path.join(staging, '.complete'), `${hash}\n`);
  fs.rmSync(BUILD_DIR, { recursive: true, force: true });
  fs.renameSync(staging, BUILD_DIR);
  process.stderr.write(`built the Flink anchor in ${seconds.toFixed(1)} s\n`);
  return Math.round(seconds * 10) / 10;
}

function ensureTicksFile(given) {
  if (given !== undefined) return given;
  if (fs.existsSync(DEFAULT_FEED.file)) return DEFAULT_FEED.file;
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const partial = `${DEFAULT_FEED.file}.partial`;
  process.stderr.write(`generating ${path.relative(REPO_ROOT, DEFAULT_FEED.file)} with tickflow gen ...\n`);
  const gen = spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin', 'tickflow.js'), 'gen', ...DEFAULT_FEED.args, '--out', partial], {
    stdio: ['ignore', 'inherit', 'pipe'],
    encoding: 'utf8',
  });
  if (gen.status !== 0) {
    fs.rmSync(partial, { force: true });
    throw new Error(`tickflow gen failed (run npm install first: it builds tickflow), or pass --ticks-file:\n${gen.stderr ?? ''}`);
  }
  fs.renameSync(partial, DEFAULT_FEED.file);
  return DEFAULT_FEED.file;
}

/** JVMs this process started and has not seen exit; killed if Node goes first so none outlives a run. */
const live = new Set();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    for (const child of live) child.kill('SIGKILL');
    process.exit(128 + os.constants.signals[signal]);
  });
}

/** Runs the job once; resolves with its JSON summary. Flink's log goes to logFile. */
function runJob(args, logFile) {
  const classPath = [path.join(BUILD_DIR, 'flink-anchor.jar'), path.join(BUILD_DIR, 'libs', '*')].join(path.delimiter);
  return new Promise((resolve, reject) => {
    const log = fs.openSync(logFile, 'w');
    const child = spawn('java', [...JVM_OPTIONS, '-cp', classPath, MAIN_CLASS, ...args], { stdio: ['ignore', 'pipe', log] });
    fs.closeSync(log);
    live.add(child);
    let stdout = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.once('error', (error) => {
      live.delete(child);
      reject(new Error(`cannot start java (${error.message}): ${INSTALL_HINT}`));
    });
    child.once('close', (code, signal) => {
      live.delete(child);
      const line = stdout.trim().split('\n').at(-1) ?? '';
      if (code === 0 && line.startsWith('{')) {
        resolve(JSON.parse(line));
        return;
      }
      const tail = fs.readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-30).join('\n');
      reject(new Error(`the Flink job exited with ${code ?? signal}; log ${shown(logFile)}:\n${tail}`));
    });
  });
}

/** The machine and runtimes, as bench/machine.ts prints them, plus the JVM. */
function machineText(java) {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  return (
    `${os.cpus().length} x ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GiB; node ${process.version}; ` +
    `${process.platform}/${process.arch}; ${java}`
  );
}

/** Inside the repository a path is shown relative to it; outside, as it is. */
function shown(file) {
  const relative = path.relative(REPO_ROOT, file);
  return relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
}

async function main(argv) {
  const options = parseArgs(argv);
  const java = javaVersion();
  const buildSeconds = ensureBuilt();
  const ticksFile = ensureTicksFile(options.ticksFile);
  fs.mkdirSync(path.dirname(options.out), { recursive: true });
  const stem = path.join(path.dirname(options.out), path.basename(options.out, '.json'));
  const hgrm = `${stem}-latency.hgrm`;

  const machine = machineText(java);
  process.stdout.write(`machine: ${machine}\n`);
  const report = {
    anchor: 'flink',
    machine,
    ticks_file: shown(ticksFile),
    build_seconds: buildSeconds,
    throughput: null,
    latency: null,
  };
  const common = ['--ticks-file', ticksFile, '--parallelism', String(options.parallelism)];
  for (const mode of options.modes) {
    const args =
      mode === 'throughput'
        ? ['--mode', 'throughput', ...common]
        : [
            '--mode',
            'latency',
            ...common,
            '--rate',
            String(options.rate),
            '--duration',
            String(options.duration),
            '--warmup',
            String(options.warmup),
            '--hgrm',
            hgrm,
          ];
    process.stderr.write(
      mode === 'throughput'
        ? `flink throughput: the whole of ${shown(ticksFile)} as fast as it goes ...\n`
        : `flink latency: ${options.rate} ticks/s for ` +
            `${options.warmup > 0 ? `${options.warmup} s of warm-up and ` : ''}${options.duration} s ...\n`,
    );
    report[mode] = await runJob(args, `${stem}-${mode}.log`);
    process.stdout.write(`${JSON.stringify(report[mode])}\n`);
    fs.writeFileSync(options.out, `${JSON.stringify(report, null, 2)}\n`);
  }
  process.stderr.write(`wrote ${shown(options.out)}${options.modes.includes('latency') ? ` and ${shown(hgrm)}` : ''}\n`);
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((error) => {
    process.stderr.write(`${error instanceof UsageError ? error.message : error instanceof Error ? error.message : String(error)}\n`);
    process.exit(error instanceof UsageError ? 2 : 1);
  });
}

module.exports = { parseArgs, ensureBuilt, DEFAULTS };
