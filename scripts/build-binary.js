#!/usr/bin/env node
// Builds the single `tickflow` executable (npm run build:binary) with Node's
// single executable application support, from the compiled sources in dist/
// (npm run build first):
//
//   1. esbuild bundles the command line and every worker thread entry into
//      one file each. The native addons are loaded from files next to the
//      bundles, never from node_modules.
//   2. The bundles, the three native addons and the built dashboard become
//      SEA assets, with a manifest naming them and their content hash.
//   3. A small launcher (src/single-executable/launcher.ts) is the SEA's main script: it
//      unpacks the assets to a cache folder and runs the bundled program.
//   4. The blob is injected into a copy of this node binary with postject.
//
//   node scripts/build-binary.js [--out FILE]     (default build/tickflow)
'use strict';
const { spawnSync } = require('node:child_process');
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const work = path.join(root, 'build', 'binary');
const outFlag = process.argv.indexOf('--out');
const out = path.resolve(outFlag === -1 ? path.join(root, 'build', 'tickflow') : process.argv[outFlag + 1]);
const started = performance.now();

/** The SEA fuse of Node's own binaries (node --experimental-sea-config documents it). */
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
const UWS_ADDON = `uws_${process.platform}_${process.arch}_${process.versions.modules}.node`;

function fail(message) {
  console.error(`build:binary: ${message}`);
  process.exit(1);
}

function need(file, hint) {
  const full = path.join(root, file);
  if (!fs.existsSync(full)) fail(`${file} is missing; ${hint}`);
  return full;
}

/**
 * Every file the sources start a worker thread from, found in the compiled
 * code as join(__dirname, 'name.js'), so a new worker cannot be left out.
 */
function workerEntries() {
  const found = new Map();
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.js')) {
        const source = fs.readFileSync(full, 'utf8');
        for (const match of source.matchAll(/join\)\(__dirname, '([\w-]+\.js)'\)/g)) {
          found.set(match[1], path.join(dir, match[1]));
        }
      }
    }
  };
  walk(path.join(root, 'dist', 'src'));
  for (const [name, file] of found) if (!fs.existsSync(file)) fail(`worker entry ${name} is not in dist/src; run npm run build:ts`);
  if (found.size === 0) fail('found no worker entries in dist/src; run npm run build:ts');
  return found;
}

/**
 * uWebSockets.js and better-sqlite3 find their addons relative to their own
 * package folders; in a bundle they load them from the bundle's folder.
 * uWebSockets.js would otherwise fall back to a slow JavaScript server when
 * its addon does not load: here a missing addon is an error.
 */
const addonShims = {
  name: 'addon-shims',
  setup(build) {
    const shims = {
      uws: `module.exports = require(require('node:path').join(__dirname, ${JSON.stringify(UWS_ADDON)}));`,
      bindings: "module.exports = (name) => require(require('node:path').join(__dirname, name));",
    };
    build.onResolve({ filter: /^uWebSockets\.js$/ }, () => ({ path: 'uws', namespace: 'addon-shim' }));
    build.onResolve({ filter: /^bindings$/ }, () => ({ path: 'bindings', namespace: 'addon-shim' }));
    build.onLoad({ filter: /.*/, namespace: 'addon-shim' }, (args) => ({ contents: shims[args.path], loader: 'js' }));
  },
};

async function bundle() {
  const esbuild = require('esbuild');
  const entryPoints = { main: need('dist/src/cli/main.js', 'run npm run build:ts') };
  for (const [name, file] of workerEntries()) entryPoints[name.replace(/\.js$/, '')] = file;
  // piscina starts each of its threads from worker.js next to its own code.
  entryPoints.worker = need('node_modules/piscina/dist/worker.js', 'run npm install');
  const common = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'warning', legalComments: 'eof' };
  await esbuild.build({
    ...common,
    entryPoints,
    outdir: path.join(work, 'program'),
    entryNames: '[name]',
    define: { TICKFLOW_BUNDLED: 'true' },
    // piscina's optional native addon for thread priorities: not embedded, and piscina runs without it.
    external: ['@napi-rs/nice'],
    plugins: [addonShims],
  });
  await esbuild.build({
    ...common,
    entryPoints: [need('dist/src/single-executable/launcher.js', 'run npm run build:ts')],
    outfile: path.join(work, 'launcher.js'),
  });
  return Object.keys(entryPoints).map((name) => [`${name}.js`, path.join(work, 'program', `${name}.js`)]);
}

function dashboardFiles() {
  const dist = need('dashboard/dist/index.html', 'run npm run build:dashboard');
  const files = [];
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else files.push([path.posix.join('dashboard', path.relative(path.dirname(dist), full).split(path.sep).join('/')), full]);
    }
  };
  walk(path.dirname(dist));
  return files;
}

/** Runs a build step, showing its output only when it fails or says something unexpected. */
function quiet(step, args, expected) {
  const result = spawnSync(process.execPath, args, { encoding: 'utf8' });
  const lines = `${result.stdout}${result.stderr}`
    .replace(/\x1b\[[0-9;]*m/g, '')
    .split('\n')
    .filter((line) => line.trim() !== '');
  if (result.status !== 0) fail(`${step} failed:\n${lines.join('\n')}`);
  for (const line of lines) if (!expected.some((pattern) => pattern.test(line))) console.error(line);
}

/**
 * postject in its own process: the ELF library inside it warns once per note
 * section of Node's binary that it cannot name, harmlessly and many times.
 */
function inject(file, blob) {
  quiet(
    'postject',
    [require.resolve('postject/dist/cli.js'), file, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SEA_FUSE],
    [/^warning: Can't find string offset for section name/, /^Start injection of NODE_SEA_BLOB/, /Injection done!$/],
  );
}

async function main() {
  fs.rmSync(work, { recursive: true, force: true });
  fs.mkdirSync(work, { recursive: true });
  const files = [
    ...(await bundle()),
    [
      UWS_ADDON,
      need(
        `node_modules/uWebSockets.js/binaries/${UWS_ADDON}`,
        `uWebSockets.js has no addon for ${process.platform}/${process.arch}, ABI ${process.versions.modules}`,
      ),
    ],
    [
      'better_sqlite3.node',
      need('node_modules/better-sqlite3/build/Release/better_sqlite3.node', 'run npm install to build better-sqlite3'),
    ],
    ['tickflow_native.node', need('native/build/Release/tickflow_native.node', 'run npm run build:native')],
    ...dashboardFiles(),
  ].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

  const hash = createHash('sha256');
  for (const [name, file] of files) hash.update(name).update('\0').update(fs.readFileSync(file)).update('\0');
  const { version } = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  const manifest = { version, hash: hash.digest('hex'), entry: 'main.js', files: files.map(([name]) => name) };
  const manifestFile = path.join(work, 'manifest.json');
  fs.writeFileSync(manifestFile, `${JSON.stringify(manifest, null, 2)}\n`);

  const blob = path.join(work, 'sea-prep.blob');
  const seaConfig = {
    main: path.join(work, 'launcher.js'),
    output: blob,
    disableExperimentalSEAWarning: true,
    assets: Object.fromEntries([['manifest.json', manifestFile], ...files]),
  };
  fs.writeFileSync(path.join(work, 'sea-config.json'), `${JSON.stringify(seaConfig, null, 2)}\n`);
  quiet(
    'node --experimental-sea-config',
    ['--experimental-sea-config', path.join(work, 'sea-config.json')],
    [/^Wrote single executable preparation blob/],
  );

  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.rmSync(out, { force: true });
  fs.copyFileSync(process.execPath, out);
  fs.chmodSync(out, 0o755);
  inject(out, blob);

  const size = (fs.statSync(out).size / (1 << 20)).toFixed(1);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(
    `built ${path.relative(process.cwd(), out) || out} (${size} MiB, ${files.length} embedded files, build ` +
      `${manifest.hash.slice(0, 16)}) in ${seconds} s`,
  );
}

main().catch((err) => fail(err.stack ?? String(err)));
