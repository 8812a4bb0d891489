#!/usr/bin/env node
// Says in one line what the test suite needs that npm cannot install.
'use strict';
const { execFileSync } = require('node:child_process');
const { existsSync } = require('node:fs');

const missing = [];
function has(command, args) {
  try {
    execFileSync(command, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
if (!has('flatc', ['--version'])) missing.push('flatc (Debian package flatbuffers-compiler)');
if (!has('java', ['-version'])) missing.push('a JDK 17+ (Debian package default-jdk-headless)');
if (!has('mvn', ['-v'])) missing.push('Maven (Debian package maven)');
if (!has('kcat', ['-V'])) missing.push('kcat (Debian package kcat)');
if (!existsSync('/usr/bin/chromium')) missing.push('Chromium at /usr/bin/chromium (Debian package chromium)');
if (missing.length > 0) {
  console.error(`npm test needs: ${missing.join('; ')}. Install it and run npm test again.`);
  process.exit(1);
}
