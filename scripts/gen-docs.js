#!/usr/bin/env node
// Writes docs/configuration.md from the option table (npm run gen:docs, which
// compiles the TypeScript first).
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { configurationReference } = require('../dist/src/config/reference.js');

const file = path.join(__dirname, '..', 'docs', 'configuration.md');
fs.writeFileSync(file, configurationReference());
console.log(`wrote ${path.relative(process.cwd(), file)}`);
