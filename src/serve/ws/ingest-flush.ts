// A publisher's {"op":"flush"} on /ingest. A flush is scoped to its publisher
// (SPEC §3): it finalises the symbols this connection has published, never
// another publisher's; `"all": true` flushes every symbol and needs the admin
// role. Apart from the endpoint (ingest-endpoint.ts), which only hands it the
// line once every tick before it was taken, because who may flush what is a
// rule of its own.

import type { Logger } from '../../log';
import type { Engine } from '../../partition/engine';
import { ErrorCode, controlFrame, errorFrame } from '../../records/protocol';
import type { IngestConnection } from './ingest-connection';
import type { IngestCounters } from './ingest-counters';

/** The keys a flush line may carry. */
const FLUSH_KEYS = new Set(['op', 'id', 'all']);

export class IngestFlush {
  constructor(
    private readonly pipeline: Engine,
    private readonly counters: IngestCounters,
    private readonly log: Logger,
  ) {}

  /**
   * `{"op":"flush"}` finalises the symbols this connection published;
   * `{"op":"flush","all":true}` every symbol, for the admin role only. Any
   * other key is an error rather than silently ignored, so that a client
   * who meant to narrow a flush (`"symbol": ...`) learns it cannot.
   */
  flush(connection: IngestConnection, line: Record<string, unknown>, tag: Record<string, unknown>): void {
    const unknown = Object.keys(line).filter((key) => !FLUSH_KEYS.has(key));
    if (unknown.length > 0 || (line.all !== undefined && typeof line.all !== 'boolean')) {
      connection.reply(
        errorFrame(
          ErrorCode.BAD_REQUEST,
          `a flush takes only "id" and "all" (true: every symbol, admin role); got ` +
            `${unknown.length > 0 ? unknown.map((k) => JSON.stringify(k)).join(', ') : '"all" that is not a boolean'}`,
          tag,
        ),
      );
      return;
    }
    const all = line.all === true;
    if (all && !connection.principal.roles.has('admin')) {
      connection.reply(
        errorFrame(
          ErrorCode.FORBIDDEN,
          'a flush of every symbol needs the admin role; {"op":"flush"} flushes the symbols this connection published',
          tag,
        ),
      );
      return;
    }
    this.pipeline.publish();
    const symbols = all ? null : [...connection.published];
    if (all) {
      this.counters.allFlushes++;
      this.log.info('every symbol flushed by an admin', { token: connection.principal.name, connection: connection.id });
    } else {
      this.counters.publisherFlushes++;
    }
    void this.pipeline.requests.flush(symbols).then(() => {
      connection.reply(
        controlFrame({ op: 'flushed', ...tag, ...(symbols === null ? { all: true as const } : { symbols: symbols.length }) }),
      );
    });
  }
}
