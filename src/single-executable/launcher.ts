// The entry point of the single executable (npm run build:binary). Node runs
// it from the SEA blob, where `require` reaches only built-in modules, so it
// unpacks the bundled program to the cache folder (unpack.ts) and loads it
// from there with a real module loader: the bundle's workers, addons and
// dashboard then sit next to it, as they sit next to each other in dist/.

import { createRequire } from 'node:module';
import { join } from 'node:path';
import { getAsset } from 'node:sea';
import { CACHE_DIR_ENV, cacheRoot, MANIFEST_ASSET, unpack, type Manifest } from './unpack';

interface Program {
  main(argv: readonly string[]): void;
}

function start(): void {
  const manifest = JSON.parse(getAsset(MANIFEST_ASSET, 'utf8')) as Manifest;
  const root = cacheRoot(process.env);
  let folder: string;
  try {
    folder = unpack(manifest, (name) => getAsset(name), root);
  } catch (err) {
    process.stderr.write(
      `tickflow: cannot unpack the program to ${root} (${(err as Error).message}); ` + `set ${CACHE_DIR_ENV} to a writable folder\n`,
    );
    process.exitCode = 2;
    return;
  }
  const program = createRequire(__filename)(join(folder, manifest.entry)) as Program;
  // In a single executable argv[1] is the executable again, as the script is for `node script`.
  program.main(process.argv.slice(2));
}

start();
