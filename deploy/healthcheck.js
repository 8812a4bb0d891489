#!/usr/bin/env node
// The container's HEALTHCHECK (slim images have no curl): exits 0 when the
// server's GET /health answers 200, 1 otherwise (503 while draining, refused,
// timed out). It finds the port, the bind address and TLS the way
// `tickflow serve` does, from TICKFLOW_* variables and TICKFLOW_CONFIG.
'use strict';
const http = require('node:http');
const https = require('node:https');
const { loadConfig } = require('../dist/src/config/load.js');

const TIMEOUT_MS = 4000;

function fail(message) {
  process.stderr.write(`healthcheck: ${message}\n`);
  process.exit(1);
}

let config;
try {
  ({ config } = loadConfig('serve', []));
} catch (err) {
  fail(err.message);
}
// A wildcard bind answers on loopback, and a probe from inside the container uses that.
const host = config.host === '' || config.host === '0.0.0.0' ? '127.0.0.1' : config.host === '::' ? '::1' : config.host;
const tls = config.tlsCert !== '';
const url = `${tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${config.port}/health`;
// The probe talks to its own server over loopback: there is no one to
// authenticate, and a self-signed certificate is the usual case.
const request = (tls ? https : http).get(url, { timeout: TIMEOUT_MS, rejectUnauthorized: false }, (res) => {
  res.resume();
  if (res.statusCode === 200) process.exit(0);
  fail(`${url} answered ${res.statusCode}`);
});
request.on('timeout', () => request.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`)));
request.on('error', (err) => fail(`${url}: ${err.message}`));
