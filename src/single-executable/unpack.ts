// The single executable carries its native addons, worker bundles and the
// dashboard as SEA assets. Addons can only be loaded from files, and worker
// threads start from files, so on the first start the assets are written to
// a cache folder named after the build's content hash; later starts find the
// folder complete and only check that its files are there.
//
// A folder appears whole or not at all: the files are written to a private
// temporary folder that is then renamed into place, so two processes starting
// at once never see each other's half-written files (the loser of the rename
// race deletes its copy and uses the winner's).

import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';

/** The asset that lists every other asset; written by scripts/build-binary.js. */
export const MANIFEST_ASSET = 'manifest.json';

/** Overrides where the executable unpacks its files. */
export const CACHE_DIR_ENV = 'TICKFLOW_CACHE_DIR';

export interface Manifest {
  /** The package version the executable was built from. */
  readonly version: string;
  /** SHA-256 (hex) over every asset's name and bytes: a new build gets a new folder. */
  readonly hash: string;
  /** The bundle that runs the command line, relative to the folder. */
  readonly entry: string;
  /** Every asset to unpack, as a relative path that is also its asset name. */
  readonly files: readonly string[];
}

/**
 * $TICKFLOW_CACHE_DIR, else $XDG_CACHE_HOME/tickflow (when absolute, as the
 * XDG base directory rules require), else ~/.cache/tickflow.
 */
export function cacheRoot(env: NodeJS.ProcessEnv, home: string = homedir()): string {
  const explicit = env[CACHE_DIR_ENV];
  if (explicit !== undefined && explicit !== '') return resolve(explicit);
  const xdg = env.XDG_CACHE_HOME;
  const base = xdg !== undefined && isAbsolute(xdg) ? xdg : join(home, '.cache');
  return join(base, 'tickflow');
}

/** The folder of one build under `root`. */
export function buildFolder(root: string, manifest: Manifest): string {
  return join(root, `${manifest.version}-${manifest.hash.slice(0, 16)}`);
}

function complete(folder: string, manifest: Manifest): boolean {
  return manifest.files.every((file) => existsSync(join(folder, file)));
}

/**
 * Returns the folder holding every file of `manifest`, writing it first if it
 * is missing or incomplete. `read` gives an asset's bytes.
 */
export function unpack(manifest: Manifest, read: (name: string) => ArrayBuffer, root: string): string {
  const folder = buildFolder(root, manifest);
  if (complete(folder, manifest)) return folder;
  // Private (0700): the folder holds code this executable will load.
  mkdirSync(root, { recursive: true, mode: 0o700 });
  const temporary = `${folder}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    for (const file of manifest.files) {
      const path = join(temporary, file);
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      writeFileSync(path, Buffer.from(read(file)), { mode: 0o600 });
    }
    if (existsSync(folder)) {
      // Incomplete (a file was deleted by hand): replace it whole.
      rmSync(folder, { recursive: true, force: true });
    }
    try {
      renameSync(temporary, folder);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if ((code !== 'ENOTEMPTY' && code !== 'EEXIST') || !complete(folder, manifest)) throw err;
      // Another process unpacked the same build first.
    }
  } finally {
    rmSync(temporary, { recursive: true, force: true });
  }
  return folder;
}
