#!/usr/bin/env node
// A real single-node Apache Kafka broker (KRaft, combined broker + controller)
// for tickflow's tests, run from Kafka's own jars on Maven Central. Plain
// CommonJS so that `npm test` can provision the jars before TypeScript builds.
//
//   node scripts/kafka/broker.js fetch               download the jars once into .cache/kafka/libs
//   node scripts/kafka/broker.js run --port 19092    a broker in the foreground until Ctrl-C
//
// As a module: ensureKafkaLibs(), startBroker(), waitForBroker(), createTopics(), freePort().
'use strict';

const { spawn, spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const POM = path.join(__dirname, 'pom.xml');
const CACHE_DIR = path.join(REPO_ROOT, '.cache', 'kafka');
const LIBS_DIR = path.join(CACHE_DIR, 'libs');
// Written last, holding a hash of pom.xml: its presence means the copy finished,
// and a changed pom (say, a newer Kafka patch) invalidates the cache by itself.
const MARKER = path.join(LIBS_DIR, '.complete');

const INSTALL_HINT = 'Kafka tests need a JDK (17+) and Maven: apt-get install default-jdk-headless maven';
const MAVEN_TIMEOUT_MS = 15 * 60_000;
const FORMAT_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 20_000;

/** Brokers this process started and has not seen exit; killed if Node exits first so no JVM outlives a test run. */
const live = new Set();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

function pomHash() {
  return crypto.createHash('sha256').update(fs.readFileSync(POM)).digest('hex');
}

function commandWorks(command, args) {
  const result = spawnSync(command, args, { stdio: 'ignore', timeout: 60_000 });
  return result.error === undefined && result.status === 0;
}

/**
 * Makes sure .cache/kafka/libs holds Kafka's jars and returns that folder.
 * Runs Maven only when the marker of a finished copy is missing or stale.
 */
function ensureKafkaLibs({ quiet = true } = {}) {
  const hash = pomHash();
  if (fs.existsSync(MARKER) && fs.readFileSync(MARKER, 'utf8').trim() === hash) return LIBS_DIR;
  if (!commandWorks('java', ['-version'])) throw new Error(`java not found. ${INSTALL_HINT}`);
  if (!commandWorks('mvn', ['-v'])) throw new Error(`mvn not found. ${INSTALL_HINT}`);

  // Copy into a fresh folder and rename it into place, so that an interrupted
  // download never leaves a half-filled libs folder that looks usable.
  fs.mkdirSync(CACHE_DIR, { recursive: true });
  const staging = fs.mkdtempSync(path.join(CACHE_DIR, 'libs-partial-'));
  if (!quiet) process.stderr.write(`fetching Apache Kafka jars from Maven Central into ${LIBS_DIR} ...\n`);
  const started = Date.now();
  const result = spawnSync(
    'mvn',
    ['-q', '-B', '-f', POM, 'dependency:copy-dependencies', `-DoutputDirectory=${staging}`, '-DincludeScope=runtime'],
    { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', timeout: MAVEN_TIMEOUT_MS },
  );
  if (result.error !== undefined || result.status !== 0) {
    fs.rmSync(staging, { recursive: true, force: true });
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n').slice(-20).join('\n');
    const why = result.error !== undefined ? result.error.message : `exit code ${result.status}`;
    throw new Error(`Maven could not fetch the Kafka jars (${why}); check that Maven Central is reachable.\n${output}`);
  }
  fs.writeFileSync(path.join(staging, '.complete'), `${hash}\n`);
  fs.rmSync(LIBS_DIR, { recursive: true, force: true });
  fs.renameSync(staging, LIBS_DIR);
  if (!quiet) process.stderr.write(`fetched ${fs.readdirSync(LIBS_DIR).length - 1} jars in ${Date.now() - started} ms\n`);
  return LIBS_DIR;
}

/** A port nobody listens on right now (held open until all requested are found, so they differ). */
async function freePorts(count) {
  const servers = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = net.createServer();
      servers.push(server);
      await new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', resolve);
      });
    }
    return servers.map((server) => server.address().port);
  } finally {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(() => resolve()))));
  }
}

function serverProperties({ port, controllerPort, logDir }) {
  return [
    '# Written by scripts/kafka/broker.js for tests: one node, no replication.',
    'process.roles=broker,controller',
    'node.id=1',
    `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
    `log.dirs=${logDir}`,
    // One replica everywhere: the internal topics would otherwise wait for three brokers.
    'offsets.topic.replication.factor=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'default.replication.factor=1',
    'min.insync.replicas=1',
    // Fewer internal partitions make the first group join and the first transaction quick.
    'offsets.topic.num.partitions=1',
    'transaction.state.log.num.partitions=1',
    'auto.create.topics.enable=false',
    'group.initial.rebalance.delay.ms=0',
    'num.partitions=1',
    'num.network.threads=2',
    'num.io.threads=2',
    // The cleaner's default 128 MiB dedupe buffer is a quarter of the test heap.
    'log.cleaner.dedupe.buffer.size=8388608',
    'log.cleaner.backoff.ms=1000',
    '',
  ].join('\n');
}

const LOG4J = [
  'log4j.rootLogger=INFO, stdout',
  'log4j.appender.stdout=org.apache.log4j.ConsoleAppender',
  'log4j.appender.stdout.layout=org.apache.log4j.PatternLayout',
  'log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n',
  'log4j.logger.kafka.request.logger=WARN',
  'log4j.logger.state.change.logger=WARN',
  '',
].join('\n');

function runToCompletion(command, args, logFile, timeoutMs) {
  return new Promise((resolve, reject) => {
    const out = fs.openSync(logFile, 'a');
    const child = spawn(command, args, { stdio: ['ignore', out, out] });
    fs.closeSync(out);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
}

function logTail(logFile, lines = 30) {
  try {
    return fs.readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * Starts a KRaft broker+controller on 127.0.0.1. The data dir is formatted on
 * first use and reused as it is afterwards, so a restart on the same dir keeps
 * topics, offsets and transactions. Resolves once the JVM is spawned; use
 * waitForBroker() to know when it answers.
 */
async function startBroker({ dataDir, port, controllerPort, logFile, heap = '512m' }) {
  for (const [name, value] of Object.entries({ port, controllerPort })) {
    if (!Number.isInteger(value) || value <= 0 || value > 65535) {
      throw new Error(`startBroker: ${name} must be a TCP port number, got ${value}`);
    }
  }
  const libs = ensureKafkaLibs();
  const classPath = `${libs}${path.sep}*`;
  fs.mkdirSync(dataDir, { recursive: true });
  const logDir = path.join(dataDir, 'kafka-logs');
  const propsFile = path.join(dataDir, 'server.properties');
  const log4jFile = path.join(dataDir, 'log4j.properties');
  fs.writeFileSync(propsFile, serverProperties({ port, controllerPort, logDir }));
  fs.writeFileSync(log4jFile, LOG4J);
  const jvm = [
    `-Xmx${heap}`,
    '-Xms64m',
    '-XX:+ExitOnOutOfMemoryError',
    '-Djava.awt.headless=true',
    `-Dlog4j.configuration=file:${log4jFile}`,
    '-cp',
    classPath,
  ];

  if (!fs.existsSync(path.join(logDir, 'meta.properties'))) {
    // The cluster id is a Kafka Uuid: 16 random bytes, URL-safe base64 without
    // padding. One that starts with '-' would be read as an option by the
    // tool's argument parser, so draw again (1 in 64).
    let clusterId = crypto.randomBytes(16).toString('base64url');
    while (clusterId.startsWith('-')) clusterId = crypto.randomBytes(16).toString('base64url');
    const formatted = await runToCompletion(
      'java',
      [...jvm, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', propsFile],
      logFile,
      FORMAT_TIMEOUT_MS,
    );
    if (formatted.code !== 0) {
      throw new Error(`kafka-storage format failed (exit ${formatted.code ?? formatted.signal}); log ${logFile}:\n${logTail(logFile)}`);
    }
  }

  const out = fs.openSync(logFile, 'a');
  const child = spawn('java', [...jvm, 'kafka.Kafka', propsFile], { stdio: ['ignore', out, out] });
  fs.closeSync(out);
  live.add(child);
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      live.delete(child);
      resolve(code ?? signal);
    });
  });
  await new Promise((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (error) => reject(new Error(`cannot start java (${error.message}). ${INSTALL_HINT}`)));
  });

  const running = () => child.exitCode === null && child.signalCode === null;
  return {
    brokers: `127.0.0.1:${port}`,
    pid: child.pid,
    logFile,
    /** Resolves with the exit code (or signal name) when the JVM exits. */
    exited,
    /** SIGTERM for an orderly shutdown, SIGKILL if it takes longer than 20 s. */
    async stop() {
      if (!running()) return;
      child.kill('SIGTERM');
      const force = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(force);
    },
    /** SIGKILL: a crash, for recovery tests. Resolves once the process is gone. */
    async kill() {
      if (!running()) return;
      child.kill('SIGKILL');
      await exited;
    },
    /** The last lines of the broker's log, for failure messages. */
    logTail: (lines) => logTail(logFile, lines),
  };
}

function quietKafka(brokers) {
  const { Kafka, logLevel } = require('kafkajs');
  return new Kafka({
    clientId: 'tickflow-test-broker',
    brokers: [brokers],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1000,
    requestTimeout: 5000,
    retry: { retries: 0 },
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls with an admin client until the broker lists itself, or throws after timeoutMs. */
async function waitForBroker(brokers, timeoutMs = 60_000, exited) {
  const deadline = Date.now() + timeoutMs;
  let lastError = 'no answer yet';
  let gone = false;
  if (exited !== undefined)
    exited.then(() => {
      gone = true;
    });
  while (Date.now() < deadline && !gone) {
    const admin = quietKafka(brokers).admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      if (cluster.brokers.length > 0 && cluster.controller !== null) return;
      lastError = 'no broker registered yet';
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
    } finally {
      await admin.disconnect().catch(() => {});
    }
    await sleep(250);
  }
  throw new Error(
    gone
      ? `the Kafka broker at ${brokers} exited while starting`
      : `the Kafka broker at ${brokers} did not answer within ${timeoutMs} ms (${lastError})`,
  );
}

/**
 * Creates topics (one replica) and waits until every partition has a leader;
 * existing topics are left alone. The wait is ours because kafkajs' own gives
 * up on the UNKNOWN_TOPIC_OR_PARTITION a KRaft broker answers for a moment.
 */
async function createTopics(brokers, topics, timeoutMs = 30_000) {
  const admin = quietKafka(brokers).admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: false,
      topics: topics.map(({ topic, numPartitions, configs = {} }) => ({
        topic,
        numPartitions,
        replicationFactor: 1,
        configEntries: Object.entries(configs).map(([name, value]) => ({ name, value })),
      })),
    });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const metadata = await admin.fetchTopicMetadata({ topics: topics.map((t) => t.topic) }).catch(() => ({ topics: [] }));
      const ready = topics.every(({ topic, numPartitions }) => {
        const partitions = metadata.topics.find((t) => t.name === topic)?.partitions ?? [];
        return partitions.length === numPartitions && partitions.every((p) => p.leader >= 0);
      });
      if (ready) return;
      if (Date.now() > deadline) throw new Error(`topics ${topics.map((t) => t.topic).join(', ')} have no leader after ${timeoutMs} ms`);
      await sleep(100);
    }
  } finally {
    await admin.disconnect();
  }
}

function option(args, name) {
  const at = args.indexOf(name);
  return at === -1 ? undefined : args[at + 1];
}

async function runInForeground(args) {
  const port = Number(option(args, '--port') ?? 19092);
  const controllerPort = Number(option(args, '--controller-port') ?? (await freePorts(1))[0]);
  const keep = option(args, '--data-dir');
  const dataDir = keep ?? fs.mkdtempSync(path.join(os.tmpdir(), 'tickflow-kafka-'));
  const logFile = path.join(dataDir, 'broker.log');
  const broker = await startBroker({ dataDir, port, controllerPort, logFile });
  const cleanUp = () => {
    if (keep === undefined) fs.rmSync(dataDir, { recursive: true, force: true });
  };
  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    process.stderr.write('stopping the broker ...\n');
    await broker.stop();
    cleanUp();
    process.exit(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  try {
    await waitForBroker(broker.brokers, 90_000, broker.exited);
  } catch (error) {
    process.stderr.write(`${error.message}\n${broker.logTail(40)}\n`);
    await broker.stop();
    cleanUp();
    process.exit(1);
  }
  const jar = fs.readdirSync(LIBS_DIR).find((f) => /^kafka_[\d.]+-.+\.jar$/.test(f)) ?? 'kafka_?-?.jar';
  process.stderr.write(
    `Kafka ${jar.replace(/^kafka_[\d.]+-(.+)\.jar$/, '$1')} listening on ${broker.brokers} ` +
      `(data ${dataDir}, log ${logFile}); Ctrl-C stops it\n`,
  );
  const code = await broker.exited;
  if (!stopping) {
    process.stderr.write(`the broker exited on its own (${code}); log ${logFile}\n`);
    process.exit(1);
  }
}

async function main(argv) {
  const [command, ...args] = argv;
  if (command === 'fetch') {
    ensureKafkaLibs({ quiet: false });
    return;
  }
  if (command === 'run') {
    await runInForeground(args);
    return;
  }
  process.stderr.write('usage: node scripts/kafka/broker.js fetch | run [--port 19092] [--controller-port N] [--data-dir DIR]\n');
  process.exitCode = 2;
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((error) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}

module.exports = { ensureKafkaLibs, startBroker, waitForBroker, createTopics, freePorts, LIBS_DIR };
