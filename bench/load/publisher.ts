// Open-loop publisher, a child process of the live scenarios: tick i is due
// at start + i / rate on the system's monotonic clock, whatever the server
// does; every tick already due is sent at once, as one NDJSON frame. Its
// `seq` is i, from which a subscriber recomputes the intended send time, so
// latency counts from when the tick should have left, not when it did (no
// coordinated omission).
//
// Parent protocol (IPC): receives {start, ...} to begin; sends {done, sent}.

import WebSocket from 'ws';

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

export function symbolName(i: number): string {
  return `S${String(i).padStart(4, '0')}`;
}

/** Two thirds trades, one third quotes, symbols round-robin with a stride so neighbours differ. */
function tickLine(i: number, plan: PublisherPlan, names: readonly string[]): string {
  const symbol = names[(i * 7) % names.length] as string;
  const ts = plan.eventStart + Math.floor((i * 1000) / plan.rate);
  const price = 100 + ((i % 97) - 48) * 0.01;
  if (i % 3 !== 2) return `{"symbol":"${symbol}","event_type":"TRADE","timestamp":${ts},"price":${price.toFixed(2)},"volume":${100 + (i % 9) * 100},"exchange":"XNAS","seq":${i}}`;
  return `{"symbol":"${symbol}","event_type":"QUOTE","timestamp":${ts},"bid":${(price - 0.01).toFixed(2)},"ask":${(price + 0.01).toFixed(2)},"exchange":"XNAS","seq":${i}}`;
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
        for (; next < due; next++) frame += `${tickLine(next, plan, names)}\n`;
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
