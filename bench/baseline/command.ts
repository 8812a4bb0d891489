// How the bench's server programs (the baseline's two, the floor relay)
// start: a bad command line exits 2 with one line, a failure at run time
// exits 1 with its stack.

export function runCommand<A>(name: string, parse: (argv: readonly string[]) => A, main: (args: A) => Promise<void>): void {
  let args: A;
  try {
    args = parse(process.argv.slice(2));
  } catch (err) {
    console.error(`${name}: ${(err as Error).message}`);
    process.exit(2);
  }
  main(args).catch((err: Error) => {
    console.error(`${name}: ${err.stack ?? err.message}`);
    process.exit(1);
  });
}

export interface ListenArgs {
  port: number;
  host: string;
}

/** The flags a bench server takes: `--port N` (0: any free port) and `--host ADDRESS` (default 127.0.0.1). */
export function listenArgs(program: string, defaultPort: number): (argv: readonly string[]) => ListenArgs {
  return (argv) => {
    const args: ListenArgs = { port: defaultPort, host: '127.0.0.1' };
    for (let i = 0; i < argv.length; i += 2) {
      const flag = argv[i];
      const value = argv[i + 1];
      if (flag === '--port' && value !== undefined && /^[0-9]+$/.test(value) && Number(value) < 65536) args.port = Number(value);
      else if (flag === '--host' && value !== undefined) args.host = value;
      else throw new Error(`unexpected argument ${JSON.stringify(flag)}; usage: ${program} [--port N] [--host ADDRESS]`);
    }
    return args;
  };
}
