// Where the single executable unpacks its files, and how: once per build,
// whole or not at all, and again when a file of the folder went missing.

import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { buildFolder, cacheRoot, unpack, type Manifest } from '../../src/single-executable/unpack';

const dir = mkdtempSync(join(tmpdir(), 'tickflow-unpack-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const manifest: Manifest = {
  version: '9.9.9',
  hash: 'ab'.repeat(32),
  entry: 'main.js',
  files: ['main.js', 'addon.node', 'dashboard/assets/app.js'],
};
const assets: Record<string, string> = { 'main.js': 'exports.main = () => {};', 'addon.node': 'binary', 'dashboard/assets/app.js': 'page' };

function counting(): { read: (name: string) => ArrayBuffer; reads: string[] } {
  const reads: string[] = [];
  return {
    reads,
    read: (name) => {
      reads.push(name);
      const bytes = Buffer.from(assets[name] ?? '');
      return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length);
    },
  };
}

describe('the single executable cache folder', () => {
  it('is TICKFLOW_CACHE_DIR, else an absolute XDG_CACHE_HOME/tickflow, else ~/.cache/tickflow', () => {
    assert.equal(cacheRoot({ TICKFLOW_CACHE_DIR: '/srv/tf', XDG_CACHE_HOME: '/x' }, '/home/u'), '/srv/tf');
    assert.equal(cacheRoot({ XDG_CACHE_HOME: '/x' }, '/home/u'), '/x/tickflow');
    assert.equal(cacheRoot({ XDG_CACHE_HOME: 'relative' }, '/home/u'), '/home/u/.cache/tickflow');
    assert.equal(cacheRoot({ TICKFLOW_CACHE_DIR: '' }, '/home/u'), '/home/u/.cache/tickflow');
  });

  it('unpacks every file once into a folder named by version and hash', () => {
    const root = join(dir, 'once');
    const first = counting();
    const folder = unpack(manifest, first.read, root);
    assert.equal(folder, buildFolder(root, manifest));
    assert.equal(folder, join(root, `9.9.9-${'ab'.repeat(8)}`));
    assert.deepEqual(first.reads.sort(), [...manifest.files].sort());
    assert.equal(readFileSync(join(folder, 'dashboard/assets/app.js'), 'utf8'), 'page');
    const second = counting();
    assert.equal(unpack(manifest, second.read, root), folder);
    assert.deepEqual(second.reads, [], 'a complete folder is reused as it is');
    assert.deepEqual(readdirSync(root), [`9.9.9-${'ab'.repeat(8)}`], 'no temporary folder left behind');
  });

  it('replaces a folder whose files went missing, and leaves nothing behind when reading fails', () => {
    const root = join(dir, 'repair');
    const folder = unpack(manifest, counting().read, root);
    rmSync(join(folder, 'addon.node'));
    const again = counting();
    unpack(manifest, again.read, root);
    assert.equal(again.reads.length, manifest.files.length);
    assert.equal(readFileSync(join(folder, 'addon.node'), 'utf8'), 'binary');

    const broken = join(dir, 'broken');
    assert.throws(
      () =>
        unpack(
          manifest,
          () => {
            throw new Error('no such asset');
          },
          broken,
        ),
      /no such asset/,
    );
    assert.deepEqual(readdirSync(broken), [], 'neither a partial folder nor a temporary one');
  });
});
