// The log line for connections uWebSockets.js drops by itself: only its own
// drops count, and a client that keeps doing it gets one line per 10 s.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Fields, Logger } from '../../src/log';
import { TransportDrops } from '../../src/serve/ws/transport-drops';

function recorder(): { logger: Logger; lines: Array<{ msg: string; fields: Fields }> } {
  const lines: Array<{ msg: string; fields: Fields }> = [];
  const keep = (msg: string, fields: Fields = {}): void => {
    lines.push({ msg, fields });
  };
  return { logger: { debug: keep, info: keep, warn: keep, error: keep }, lines };
}

describe('TransportDrops', () => {
  it("logs uWebSockets.js's own drops, at most once per 10 s with the count since the last line", () => {
    const { logger, lines } = recorder();
    let now = 1_000_000;
    const drops = new TransportDrops(logger, () => now);
    drops.closed('/ingest', 1006, 'Received too big message', 2_097_152);
    assert.deepEqual(lines, [
      {
        msg: 'a WebSocket client was dropped without a close frame',
        fields: {
          count: 1,
          route: '/ingest',
          reason: 'Received too big message',
          meaning: 'a message larger than the transport limit',
          transport_limit_bytes: 2_097_152,
        },
      },
    ]);
    now += 5_000;
    drops.closed('/ws', 1006, 'Received invalid UTF-8', 1_048_576);
    drops.closed('/ws', 1006, 'Received invalid UTF-8', 1_048_576);
    assert.equal(lines.length, 1, 'within 10 s of the last line');
    now += 5_000;
    drops.closed('/ws', 1006, 'Received invalid UTF-8', 1_048_576);
    assert.equal(lines.length, 2);
    assert.deepEqual([lines[1]?.fields.count, lines[1]?.fields.meaning], [3, 'a text frame that is not valid UTF-8']);
  });

  it('ignores closes with a code, and 1006 without one of its reasons (a client that vanished)', () => {
    const { logger, lines } = recorder();
    const drops = new TransportDrops(logger, () => 0);
    drops.closed('/ws', 1009, 'message of 70000 bytes is over the 65536-byte limit of /ws control messages', 1_048_576);
    drops.closed('/ws', 1000, '', 1_048_576);
    drops.closed('/ingest', 1006, '', 2_097_152);
    assert.deepEqual(lines, []);
  });
});
