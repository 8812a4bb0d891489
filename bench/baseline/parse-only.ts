// The yardstick of the output-heavy replay: an NDJSON file read line by line
// with readline and each line JSON.parse'd, nothing else. What any Node
// program that reads the feed pays at least; prints the line count.
//
//   node dist/bench/baseline/parse-only.js FILE

import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

const file = process.argv[2];
if (file === undefined) {
  console.error('usage: parse-only.js FILE');
  process.exit(2);
}
let lines = 0;
const reader = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
reader.on('line', (line) => {
  JSON.parse(line);
  lines++;
});
reader.on('close', () => process.stdout.write(`${lines}\n`));
