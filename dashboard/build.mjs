// Builds the dashboard into dist/: index.html, one JS bundle and one CSS file
// under assets/, named by content hash so the server can let browsers cache
// them for good while index.html is always revalidated. Everything the page
// uses is in those files: no CDN, no web font, nothing fetched at run time.
//
//   node build.mjs            minified bundle
//   node build.mjs --dev      readable bundle with a source map

import { build } from 'esbuild';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, 'dist');
const dev = process.argv.includes('--dev');
const started = performance.now();

await rm(dist, { recursive: true, force: true });
await mkdir(join(dist, 'assets'), { recursive: true });

const result = await build({
  entryPoints: { app: join(here, 'src', 'main.ts'), style: join(here, 'src', 'styles.css') },
  outdir: join(dist, 'assets'),
  entryNames: '[name]-[hash]',
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: ['chrome109', 'firefox115', 'safari16'],
  conditions: ['production'],
  minify: !dev,
  sourcemap: dev ? 'linked' : false,
  legalComments: 'eof',
  metafile: true,
  logLevel: 'warning',
});

const outputs = Object.keys(result.metafile.outputs).map((path) => basename(path));
const js = outputs.find((name) => name.startsWith('app-') && name.endsWith('.js'));
const css = outputs.find((name) => name.startsWith('style-') && name.endsWith('.css'));
if (js === undefined || css === undefined) throw new Error(`build produced no bundle: ${outputs.join(', ')}`);

const template = await readFile(join(here, 'src', 'index.html'), 'utf8');
const html = template.replace('%JS%', js).replace('%CSS%', css);
await writeFile(join(dist, 'index.html'), html);

const sizes = await Promise.all(
  [js, css].map(async (name) => `${name} ${((await readFile(join(dist, 'assets', name))).length / 1024).toFixed(1)} KiB`),
);
console.log(
  `dashboard built in ${Math.round(performance.now() - started)} ms: dist/index.html, ${sizes.map((s) => `assets/${s}`).join(', ')}`,
);
