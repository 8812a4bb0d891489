// Open-loop publisher, a child process of the live scenarios: tick i is due
// at start + i / rate on the system's monotonic clock, whatever the server
// does; every tick already due is sent at once, as one NDJSON frame. Its
// `seq` is i, from which a subscriber recomputes the intended send time, so
// latency counts from when the tick should have left, not when it did (no
// coordinated omission).
//
// Parent protocol (IPC): receives {start, ...} to begin; sends {done, sent}.

import WebSocket from 'ws';
import { mixedTickLine, symbolName } from './ticks';

export interface PublisherPlan {
  readonly url: string;
  readonly rate: number;
  readonly seconds: number;
  readonly symbols: number;
  /** hrtime ns (decimal string) of tick 0's intended send time. */
  readonly start: string;
  /** Event-time ms of tick 0. */
  readonly eventStart: number;
}

function run(plan: PublisherPlan): void {
  const names = Array.from({ length: plan.symbols }, (_, i) => symbolName(i));
  const socket = new WebSocket(plan.url, { perMessageDeflate: false });
  socket.on('error', (err) => {
    process.send?.({ error: err.message });
    process.exit(1);
  });
  socket.on('message', () => undefined);
  socket.on('open', () => {
    const start = BigInt(plan.start);
    const total = Math.round(plan.rate * plan.seconds);
    const interval = 1e9 / plan.rate;
    let next = 0;
    let maxBuffered = 0;
    const pump = (): void => {
      const elapsed = Number(process.hrtime.bigint() - start);
      const due = Math.min(total, Math.floor(elapsed / interval) + 1);
      if (due > next) {
        let frame = '';
        for (; next < due; next++) frame += `${mixedTickLine(next, plan.rate, plan.eventStart, names)}\n`;
        socket.send(frame);
        maxBuffered = Math.max(maxBuffered, socket.bufferedAmount);
      }
      if (next < total) setImmediate(pump);
      else process.send?.({ done: true, sent: next, maxBuffered });
    };
    const wait = Number(start - process.hrtime.bigint()) / 1e6;
    setTimeout(pump, Math.max(0, wait - 1));
  });
}

process.on('message', (plan: PublisherPlan) => run(plan));
process.on('disconnect', () => process.exit(0));
