// How the baseline's two programs start: a bad command line exits 2 with one
// line, a failure at run time exits 1 with its stack.

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
