#!/usr/bin/env node
// Regenerates the TypeScript for fbs/*.fbs into src/fb/generated/ (or into the
// folder given as the first argument, which the staleness test uses).
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const out = path.resolve(process.argv[2] ?? path.join(root, 'src/fb/generated'));
const schemas = fs
  .readdirSync(path.join(root, 'fbs'))
  .filter((f) => f.endsWith('.fbs'))
  .sort()
  .map((f) => path.join('fbs', f));

try {
  execFileSync('flatc', ['--version'], { stdio: 'ignore' });
} catch {
  console.error('gen:fbs needs flatc: install the flatbuffers-compiler package (Debian) or put flatc 2.0.8 on PATH');
  process.exit(1);
}
fs.rmSync(out, { recursive: true, force: true });
execFileSync('flatc', ['--ts', '-o', out, ...schemas], { cwd: root, stdio: 'inherit' });
