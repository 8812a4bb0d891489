// Structured logs on stderr: one JSON object per line (level, time, msg and
// fields) for machines, or a readable line for a terminal. Standard output is
// left to command output (replay's NDJSON, gen's feed).

export type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Readonly<Record<Level, number>> = { debug: 10, info: 20, warn: 30, error: 40 };

export type Fields = Readonly<Record<string, unknown>>;

export interface Logger {
  debug(msg: string, fields?: Fields): void;
  info(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
}

export function createLogger(options: { format: 'json' | 'text'; level: Level; write?: (line: string) => void }): Logger {
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const min = ORDER[options.level];
  const emit = (level: Level, msg: string, fields: Fields = {}): void => {
    if (ORDER[level] < min) return;
    if (options.format === 'json') {
      write(JSON.stringify({ level, time: new Date().toISOString(), msg, ...fields }));
      return;
    }
    const extra = Object.entries(fields)
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ');
    write(`tickflow ${level === 'info' ? '' : `${level}: `}${msg}${extra === '' ? '' : ` ${extra}`}`);
  };
  return {
    debug: (msg, fields) => emit('debug', msg, fields),
    info: (msg, fields) => emit('info', msg, fields),
    warn: (msg, fields) => emit('warn', msg, fields),
    error: (msg, fields) => emit('error', msg, fields),
  };
}
