import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, describe, it } from 'node:test';

const root = join(__dirname, '..', '..', '..');
const out = mkdtempSync(join(tmpdir(), 'tickflow-fbs-'));
after(() => rmSync(out, { recursive: true, force: true }));

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

describe('generated FlatBuffers code', () => {
  it('is what flatc generates from fbs/ today (run npm run gen:fbs after editing a schema)', () => {
    execFileSync(process.execPath, [join(root, 'scripts', 'gen-fbs.js'), out], { cwd: root });
    const committed = join(root, 'src', 'fb', 'generated');
    const expected = files(out)
      .map((f) => relative(out, f))
      .sort();
    assert.deepEqual(
      files(committed)
        .map((f) => relative(committed, f))
        .sort(),
      expected,
    );
    for (const file of expected) {
      assert.equal(readFileSync(join(committed, file), 'utf8'), readFileSync(join(out, file), 'utf8'), `${file} is stale`);
    }
  });
});
