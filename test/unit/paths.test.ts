// Every repository path the docs and the comments name exists, so that a
// move or a rename cannot leave a page or a comment pointing at nothing.
// A path is a token that starts with a top-level folder or file of the
// repository (src/ring/ring-descriptor.ts, docs/, package.json), or the
// target of a relative Markdown link, resolved as GitHub resolves it. A page
// may also name a file without its folder (`engine.ts`): such a name must
// belong to some file of the repository.

import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { describe, it } from 'node:test';

const ROOT = join(__dirname, '..', '..', '..');

/** The top-level folders and files a path may start with. */
const TOP_FOLDERS = ['src', 'test', 'bench', 'docs', 'scripts', 'native', 'fbs', 'deploy', 'dashboard', 'bin', '.ci'];
const TOP_FILES = ['package.json', 'tsconfig.json', 'Dockerfile', 'docker-compose.yml', 'README.md'];

/**
 * Paths that need not exist in a checkout: what the build, the tests, the
 * benchmarks and the operator write, all ignored by git (.gitignore,
 * .dockerignore). A named path under one of these is allowed.
 */
const GENERATED: readonly string[] = [
  'dist/', // tsc's output (npm run build:ts)
  'build/', // scratch output of the build scripts
  'native/build/', // node-gyp's output (npm run build:native)
  'dashboard/dist/', // the dashboard bundle (npm run build:dashboard)
  'dashboard/node_modules/',
  'node_modules/',
  'data/', // the default home of the SQLite store and the checkpoint files
  'bench/results/', // what npm run bench writes
  'test-artifacts/', // what failing tests leave behind
  '.cache/', // downloaded brokers and built benchmark anchors
  'deploy/tokens.json', // the operator's token file (docker-compose.yml)
];

/**
 * Folders that are projects of their own, with their own package.json or
 * pom.xml: a path that their files name may be relative to the folder (in
 * bench/anchors/flink/README.md, a path under src/ is one of the anchor's).
 */
const SUBPROJECTS: readonly string[] = ['dashboard', 'bench/anchors/flink'];

/** The pages read whole: prose, tables and code blocks. */
const PAGES = ['README.md', 'docs/*.md', 'bench/README.md', 'dashboard/README.md', 'bench/anchors/flink/README.md'];

/** The code whose comments are read. */
const CODE: ReadonlyArray<{ readonly under: string; readonly ext: readonly string[]; readonly skip?: readonly string[] }> = [
  { under: 'src', ext: ['.ts'], skip: ['src/fb/generated'] }, // flatc's output names the schema, never edited by hand
  { under: 'bench', ext: ['.ts', '.js', '.java'], skip: ['bench/results'] },
  { under: 'scripts', ext: ['.js'] },
  { under: 'test', ext: ['.ts'] },
  { under: 'bin', ext: ['.js'] },
  { under: 'deploy', ext: ['.js'] },
  { under: 'dashboard', ext: ['.ts', '.mjs'], skip: ['dashboard/node_modules', 'dashboard/dist'] },
];

/** Files whose comments are lines that start with #. */
const HASH_COMMENTED = [
  'Dockerfile',
  '.dockerignore',
  'docker-compose.yml',
  '.ci/run',
  'deploy/prometheus.yml',
  'deploy/prometheus-alerts.yml',
];

/** A place in a file, and the path it names. */
interface Mention {
  readonly file: string;
  readonly line: number;
  readonly path: string;
}

/**
 * The comments of a JavaScript, TypeScript or Java source, everything else
 * blanked to spaces so that line numbers stay. Strings, template literals
 * (with their ${} nesting) and regular expression literals are skipped, so
 * that a '//' or a path inside one is not read as a comment.
 */
function commentsOf(code: string): string {
  let out = '';
  const blank = (from: number, to: number): void => {
    out += code.slice(from, to).replace(/[^\n]/g, ' ');
  };
  const templates: number[] = []; // the brace depth at which each open ${ closes
  let depth = 0;
  let last = ''; // the last significant character of code, to tell a regex from a division
  let word = ''; // the last identifier, for `return /re/`
  let i = 0;
  const n = code.length;
  // Scans a template literal from i (just after ` or }) to its end or to the next ${.
  const template = (): void => {
    const start = i;
    while (i < n && code[i] !== '`') {
      if (code[i] === '\\') i += 2;
      else if (code[i] === '$' && code[i + 1] === '{') {
        i += 2;
        templates.push(depth);
        depth++;
        blank(start, i);
        last = '{';
        return;
      } else i++;
    }
    i = Math.min(i + 1, n);
    blank(start, i);
    last = '`';
  };
  while (i < n) {
    const c = code[i] as string;
    const d = code[i + 1];
    if (c === '/' && d === '/') {
      const end = code.indexOf('\n', i);
      const to = end < 0 ? n : end;
      out += code.slice(i, to);
      i = to;
    } else if (c === '/' && d === '*') {
      const end = code.indexOf('*/', i + 2);
      const to = end < 0 ? n : end + 2;
      out += code.slice(i, to);
      i = to;
    } else if (c === "'" || c === '"') {
      const start = i++;
      while (i < n && code[i] !== c && code[i] !== '\n') i += code[i] === '\\' ? 2 : 1;
      i = Math.min(i + 1, n);
      blank(start, i);
      last = c;
    } else if (c === '`') {
      out += ' ';
      i++;
      template();
    } else if (
      c === '/' &&
      (last === '' || '(,=:[!&|?{};+-*%<>~^'.includes(last) || ['return', 'typeof', 'case', 'in', 'of'].includes(word))
    ) {
      const start = i++;
      let inClass = false;
      while (i < n && code[i] !== '\n' && (inClass || code[i] !== '/')) {
        if (code[i] === '\\') i++;
        else if (code[i] === '[') inClass = true;
        else if (code[i] === ']') inClass = false;
        i++;
      }
      i = Math.min(i + 1, n);
      while (i < n && /[a-z]/.test(code[i] as string)) i++;
      blank(start, i);
      last = '/re';
      word = '';
    } else {
      if (c === '{') depth++;
      else if (c === '}') {
        depth--;
        if (templates.length > 0 && templates[templates.length - 1] === depth) {
          templates.pop();
          out += ' ';
          i++;
          template();
          continue;
        }
      }
      if (/[\w$]/.test(c)) {
        let j = i;
        while (j < n && /[\w$]/.test(code[j] as string)) j++;
        word = code.slice(i, j);
        last = 'w';
        blank(i, j);
        i = j;
        continue;
      }
      if (!/\s/.test(c)) {
        last = c;
        word = '';
      }
      out += c === '\n' ? '\n' : ' ';
      i++;
    }
  }
  return out;
}

/** The comment lines (those that start with #) of a shell script, a Dockerfile or a YAML file, the rest blanked. */
function hashCommentsOf(text: string): string {
  return text
    .split('\n')
    .map((line) => (/^\s*#/.test(line) ? line : ''))
    .join('\n');
}

const escape = (s: string): string => s.replace(/[.]/g, '\\.');
// A path starts where no path, word or URL goes on (so not inside dist/src/ or
// https://host/src/), and runs over the characters paths are made of; a
// :line suffix, a #anchor, <placeholders> and {alternatives} end it.
const PATH = new RegExp(
  `(?<![\\w./@$~-])(?:\\./)?((?:${TOP_FOLDERS.map(escape).join('|')})/[\\w./*-]*|(?:${TOP_FILES.map(escape).join('|')})(?![\\w.-]*\\w))`,
  'g',
);
const LINK = /\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g;

/** The paths a line names, relative to the root: a glob up to its first star, without trailing dots. */
function pathsIn(line: string): string[] {
  const found: string[] = [];
  for (const m of line.matchAll(PATH)) found.push(tidy(m[1] as string));
  return found;
}

/** The targets of a line's relative Markdown links, resolved against the page's folder. */
function linksIn(line: string, page: string): string[] {
  const found: string[] = [];
  for (const m of line.matchAll(LINK)) {
    const target = m[1] as string;
    if (/^([a-z][a-z0-9+.-]*:|#|\/)/i.test(target)) continue; // a URL, an anchor on the same page, or the site root
    const path = posix.normalize(posix.join(posix.dirname(page), decodeURI(target.replace(/[#?].*$/, ''))));
    found.push(tidy(path === '.' ? '' : path));
  }
  return found;
}

// A file name in backticks, without a folder: `channel-hub.ts`, `ring.fbs`.
const BARE_NAME = /`([\w][\w.-]*\.(?:ts|js|mjs|md|fbs|cc|java|gyp))`/g;

/** The file names a page's line names in backticks without a folder. */
function bareNamesIn(line: string): string[] {
  return [...line.matchAll(BARE_NAME)].map((m) => m[1] as string);
}

/** The name of every file in the repository, outside generated outputs. */
function fileNames(): Set<string> {
  const names = new Set<string>();
  const visit = (dir: string): void => {
    for (const name of readdirSync(join(ROOT, dir))) {
      const path = posix.join(dir, name);
      if (name === '.git' || name === 'node_modules' || GENERATED.some((g) => `${path}/` === g || path === g)) continue;
      if (statSync(join(ROOT, path)).isDirectory()) visit(path);
      else names.add(name);
    }
  };
  visit('');
  return names;
}

function tidy(path: string): string {
  const star = path.indexOf('*');
  return (star >= 0 ? path.slice(0, star) : path).replace(/\.+$/, '');
}

function walk(dir: string, out: string[]): string[] {
  for (const name of readdirSync(join(ROOT, dir))) {
    const path = posix.join(dir, name);
    if (statSync(join(ROOT, path)).isDirectory()) {
      if (name !== 'node_modules') walk(path, out);
    } else out.push(path);
  }
  return out;
}

function pages(): string[] {
  return PAGES.flatMap((p) => (p.includes('*') ? walk(dirname(p), []).filter((f) => dirname(f) === dirname(p) && f.endsWith('.md')) : [p]));
}

function code(): string[] {
  return CODE.flatMap(({ under, ext, skip = [] }) =>
    walk(under, []).filter((f) => ext.some((e) => f.endsWith(e)) && !skip.some((s) => f.startsWith(`${s}/`))),
  );
}

/** Every path that the pages and the comments name, with where. */
function mentions(): Mention[] {
  const found: Mention[] = [];
  const scan = (file: string, text: string, markdown: boolean): void => {
    text.split('\n').forEach((line, index) => {
      const paths = markdown ? [...pathsIn(line), ...linksIn(line, file)] : pathsIn(line);
      for (const path of paths) found.push({ file, line: index + 1, path });
    });
  };
  const read = (file: string): string => readFileSync(join(ROOT, file), 'utf8');
  for (const file of pages()) scan(file, read(file), true);
  for (const file of code()) scan(file, commentsOf(read(file)), false);
  for (const file of HASH_COMMENTED) scan(file, hashCommentsOf(read(file)), false);
  return found;
}

/** Whether a path named in a file exists, or is one the allow-list lets be missing. */
function resolves(path: string, file: string): boolean {
  const generated = (p: string): boolean => GENERATED.some((g) => (g.endsWith('/') ? `${p}/`.startsWith(g) : p === g));
  const candidates = [path, ...SUBPROJECTS.filter((s) => file.startsWith(`${s}/`)).map((s) => posix.join(s, path))];
  return candidates.some((p) => existsSync(join(ROOT, p)) || generated(p.replace(/\/$/, '')));
}

describe('paths named in docs and comments', () => {
  it('reads paths from comments, not from strings, templates or regular expressions', () => {
    const text = [
      "const a = 'src/no-string.ts'; // src/in-line.ts",
      'const b = `docs/no-template-${"src/no-nested.ts"}.md` / 2; /* bench/in-block.ts */',
      'const c = /src\\/no-regex\\.ts/.test(x) ? `${`${1}`}` : 1; // test/after.ts',
      "return /[/]'/g; // scripts/after-regex.js",
    ].join('\n');
    const lines = commentsOf(text).split('\n');
    assert.equal(lines.length, 4);
    assert.deepEqual(lines.map(pathsIn), [['src/in-line.ts'], ['bench/in-block.ts'], ['test/after.ts'], ['scripts/after-regex.js']]);
  });

  it('strips line suffixes, anchors and trailing dots, and checks a glob up to its first star', () => {
    assert.deepEqual(pathsIn('see src/ring/ring-consumer.ts:42, docs/operations.md#metrics and src/**/*.ts.'), [
      'src/ring/ring-consumer.ts',
      'docs/operations.md',
      'src/',
    ]);
    assert.deepEqual(pathsIn('`package.json`, (Dockerfile) and README.md.'), ['package.json', 'Dockerfile', 'README.md']);
    assert.deepEqual(pathsIn('not dist/src/index.js, https://x.org/src/a.ts, Dockerfile.dev or tsconfig.jsonc'), []);
    assert.deepEqual(linksIn('[a](operations.md#metrics) [b](../src/cli/) [c](https://x.org) [d](#here)', 'docs/x.md'), [
      'docs/operations.md',
      'src/cli/',
    ]);
  });

  it('lets generated outputs be missing, and nothing else', () => {
    assert.ok(resolves('bench/results/feed.ndjson', 'bench/README.md'));
    assert.ok(resolves('dist/test/unit/', 'docs/x.md'));
    assert.ok(resolves('src/main.ts', 'dashboard/README.md'));
    assert.ok(!resolves('src/main.ts', 'README.md'));
    assert.ok(!resolves('bench/replay-throughput.ts', 'bench/anchors/flink/README.md'));
  });

  it('finds every path it names in the checkout', () => {
    const all = mentions();
    assert.ok(all.length >= 200, `only ${all.length} paths found: is the scanner reading the files?`);
    const missing = all.filter((m) => !resolves(m.path, m.file)).map((m) => `${m.file}:${m.line} names ${m.path}`);
    assert.equal(missing.length, 0, `${missing.length} paths named in docs and comments do not exist:\n${missing.join('\n')}`);
  });

  it('names in the pages, without a folder, only files that exist somewhere in the repository', () => {
    const names = fileNames();
    assert.ok(names.has('engine.ts') && !names.has('engine.js'), 'the walk reads sources, not build outputs');
    const missing: string[] = [];
    for (const page of pages()) {
      readFileSync(join(ROOT, page), 'utf8')
        .split('\n')
        .forEach((line, index) => {
          for (const name of bareNamesIn(line)) if (!names.has(name)) missing.push(`${page}:${index + 1} names ${name}`);
        });
    }
    assert.equal(missing.length, 0, `${missing.length} file names in the pages belong to no file:\n${missing.join('\n')}`);
  });

  it('names in package.json only files that exist, or that tsc builds from a source that exists', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { main?: string; bin?: Record<string, string> };
    for (const path of [pkg.main, ...Object.values(pkg.bin ?? {})].filter((p): p is string => p !== undefined)) {
      const built = /^(\.\/)?dist\//.test(path);
      const source = built ? path.replace(/^(\.\/)?dist\//, '').replace(/\.js$/, '.ts') : path;
      assert.ok(
        existsSync(join(ROOT, source)),
        built
          ? `package.json names ${path}, built from ${source}, which does not exist`
          : `package.json names ${path}, which does not exist`,
      );
    }
  });
});
