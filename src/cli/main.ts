// The `tickflow` command line: dispatches to serve, replay and gen. Errors
// users can fix exit non-zero with one line on stderr. Each command's code is
// loaded when it runs: serve's modules (uWebSockets.js, kafkajs, SQLite, HDR
// histograms) took 65 ms to load, a third of `tickflow replay` of an empty
// file (docs/benchmarks.md, "Replay start-up").

import type { CommandName } from '../config/option';
import { loadConfig } from '../config/load';
import { TickflowError } from '../errors';
import { commandHelp, mainHelp } from './help';

const COMMANDS: readonly CommandName[] = ['serve', 'replay', 'gen'];
/** 128 + SIGPIPE (13). */
const EXIT_BROKEN_PIPE = 141;

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

async function run(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(mainHelp());
    return command === undefined ? 1 : 0;
  }
  if (!COMMANDS.includes(command as CommandName)) {
    log(`tickflow: unknown command ${JSON.stringify(command)}; commands are ${COMMANDS.join(', ')} (tickflow --help)`);
    return 2;
  }
  const name = command as CommandName;
  const loaded = loadConfig(name, rest);
  if (loaded.help) {
    process.stdout.write(commandHelp(name));
    return 0;
  }
  // require, not import(): compiled to CommonJS, import() would go through the ES module loader.
  switch (name) {
    case 'replay': {
      const { runReplay } = require('./replay') as typeof import('./replay');
      await runReplay(loaded, log);
      return 0;
    }
    case 'gen': {
      const { runGen } = require('./gen') as typeof import('./gen');
      await runGen(loaded, log);
      return 0;
    }
    case 'serve': {
      const { runServe } = require('./serve') as typeof import('./serve');
      const code = await runServe(loaded, log);
      // uWebSockets.js and idle worker handles may keep the loop alive after a drain.
      process.exit(code);
    }
  }
}

export function main(argv: readonly string[]): void {
  run(argv).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      if ((err as NodeJS.ErrnoException).code === 'EPIPE') {
        // The reader of our output went away (`tickflow replay FILE | head`):
        // stop quietly with the status a shell gives a process ended by SIGPIPE.
        process.exitCode = EXIT_BROKEN_PIPE;
      } else if (err instanceof TickflowError) {
        // The code last, so the line still starts with what went wrong; scripts match the code.
        log(`tickflow: ${err.message} [${err.code}]`);
        process.exitCode = 2;
      } else {
        log(`tickflow: ${(err as Error).stack ?? String(err)}`);
        process.exitCode = 1;
      }
      // Partition workers started before the failure would keep the process alive.
      process.exit();
    },
  );
}

if (require.main === module) main(process.argv.slice(2));
