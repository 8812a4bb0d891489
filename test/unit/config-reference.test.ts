// docs/configuration.md is generated from the option table; this fails when
// the file in the repository is stale, and checks that it and --help cover
// every option of every command.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { commandHelp } from '../../src/cli/help';
import { optionsFor } from '../../src/config/load';
import { envName, type CommandName } from '../../src/config/option';
import { configurationReference } from '../../src/config/reference';

const DOC = join(__dirname, '..', '..', '..', 'docs', 'configuration.md');

describe('the configuration reference', () => {
  it('is what npm run gen:docs writes from the option table', () => {
    assert.ok(readFileSync(DOC, 'utf8') === configurationReference(), 'docs/configuration.md is stale: run npm run gen:docs and commit it');
  });

  it('lists every flag, variable and default that --help shows, command by command', () => {
    const doc = configurationReference();
    for (const command of ['serve', 'replay', 'gen'] as CommandName[]) {
      const section = doc.slice(doc.indexOf(`## tickflow ${command}\n`), doc.indexOf('\n## ', doc.indexOf(`## tickflow ${command}\n`) + 1));
      const help = commandHelp(command);
      for (const [, option] of optionsFor(command)) {
        const line = section.split('\n').find((l) => l.startsWith(`| \`--${option.flag}\``));
        assert.ok(line !== undefined, `${command}: --${option.flag} missing`);
        assert.ok(line.includes(`\`${envName(option.flag)}\``), `${command}: ${envName(option.flag)} missing`);
        const fallback = option.defaultText ?? option.show(option.defaultValue());
        assert.ok(line.includes(fallback.replace(/\|/g, '\\|')), `${command}: default of --${option.flag}`);
        assert.ok(help.includes(`Default: ${fallback}. [${envName(option.flag)}]`), `${command} --help: --${option.flag}`);
      }
    }
  });
});
