// Routes validated ticks to their partition's in-ring. Symbols and exchanges
// are interned to dense ids here, the only place that assigns them; a
// partition learns a name (REGISTER_NAME) just before the first tick that uses
// it, so RingTicks carry no strings.

import { TickFields } from '../records/tick-fields';
import { partitionOf } from './partition-of';
import { Msg } from './protocol';
import { NameKind, RingEncoder, RingTickWriter } from './ring-codec';
import type { RingProducer } from '../ring/ring-producer';
import { RING_FULL } from '../ring/ring-descriptor';
import type { ValidTick } from '../ingest/tick-validator';

export class Dispatcher {
  private readonly encoder = new RingEncoder();
  private readonly writer = new RingTickWriter();
  private readonly symbolIds = new Map<string, number>();
  private readonly symbolPartition: number[] = [];
  private readonly symbolNames: string[] = [];
  /** Exchange ids are global; id 0 is the empty exchange. */
  private readonly exchangeIds = new Map<string, number>([['', 0]]);
  private readonly exchangeNames: string[] = [''];
  /** Per partition, which exchange ids it has been told about. */
  private readonly knownExchanges: Array<Set<number>>;
  private readonly fields = new TickFields();
  /**
   * New symbols whose REGISTER_NAME did not fit in their ring yet. More than
   * one: a refused tick may be retried after ticks of other new symbols.
   */
  private readonly unannounced = new Set<number>();
  /** The symbol id of the tick dispatch() last took. */
  lastSymbolId = -1;

  /** A DataView over each ring's bytes, for the RingTick writer. */
  private readonly views: DataView[];

  constructor(private readonly inputs: readonly RingProducer[]) {
    this.knownExchanges = inputs.map(() => new Set([0]));
    this.views = inputs.map((ring) => new DataView(ring.bytes.buffer, ring.bytes.byteOffset, ring.bytes.byteLength));
  }

  get symbolCount(): number {
    return this.symbolNames.length;
  }

  symbolName(id: number): string | undefined {
    return this.symbolNames[id];
  }

  symbolId(symbol: string): number | undefined {
    return this.symbolIds.get(symbol);
  }

  exchangeName(id: number): string {
    return this.exchangeNames[id] ?? '';
  }

  /** The partition that owns `symbol`. */
  partitionFor(symbol: string): number {
    const id = this.symbolIds.get(symbol);
    return id === undefined ? partitionOf(symbol, this.inputs.length) : (this.symbolPartition[id] as number);
  }

  /**
   * Writes the tick to its partition's ring (not yet published). Returns the
   * partition, or -1 - partition when that ring is full: the caller waits for
   * space there and calls again with the same tick.
   */
  dispatch(tick: ValidTick, origin: number, ingestTime = 0): number {
    let symbolId = this.symbolIds.get(tick.symbol);
    if (symbolId === undefined) {
      symbolId = this.symbolNames.length;
      this.symbolIds.set(tick.symbol, symbolId);
      this.symbolNames.push(tick.symbol);
      this.symbolPartition.push(partitionOf(tick.symbol, this.inputs.length));
      this.unannounced.add(symbolId);
    }
    const partition = this.symbolPartition[symbolId] as number;
    const ring = this.inputs[partition] as RingProducer;
    if (this.unannounced.size > 0 && this.unannounced.has(symbolId)) {
      if (!ring.write(Msg.REGISTER_NAME, this.encoder.registerName(NameKind.SYMBOL, symbolId, tick.symbol))) return -1 - partition;
      this.unannounced.delete(symbolId);
    }
    let exchangeId = this.exchangeIds.get(tick.exchange);
    if (exchangeId === undefined) {
      exchangeId = this.exchangeNames.length;
      this.exchangeIds.set(tick.exchange, exchangeId);
      this.exchangeNames.push(tick.exchange);
    }
    const known = this.knownExchanges[partition] as Set<number>;
    if (!known.has(exchangeId)) {
      if (!ring.write(Msg.REGISTER_NAME, this.encoder.registerName(NameKind.EXCHANGE, exchangeId, tick.exchange))) return -1 - partition;
      known.add(exchangeId);
    }
    const f = this.fields;
    f.fill(tick, symbolId, exchangeId);
    f.origin = origin;
    f.ingestTime = ingestTime;
    const at = ring.claim(Msg.TICK, this.writer.length);
    if (at === RING_FULL) return -1 - partition;
    this.writer.write(ring.bytes, this.views[partition] as DataView, at, f);
    this.lastSymbolId = symbolId;
    return partition;
  }

  /** Sends a control record (FLUSH, STOP, CHECKPOINT) to every partition, waiting for room. */
  broadcast(type: number, waitForSpace: (partition: number) => void, payload: Uint8Array = new Uint8Array(0)): void {
    this.inputs.forEach((ring, partition) => {
      while (!ring.write(type, payload)) waitForSpace(partition);
    });
  }

  /**
   * Makes sure a symbol and exchanges are known to the partitions (before a
   * restore refers to them by name), waiting for room as needed.
   */
  register(symbols: readonly string[], exchanges: readonly string[], waitForSpace: (partition: number) => void): void {
    for (const exchange of exchanges) {
      let exchangeId = this.exchangeIds.get(exchange);
      if (exchangeId === undefined) {
        exchangeId = this.exchangeNames.length;
        this.exchangeIds.set(exchange, exchangeId);
        this.exchangeNames.push(exchange);
      }
      this.inputs.forEach((ring, partition) => {
        const known = this.knownExchanges[partition] as Set<number>;
        if (known.has(exchangeId as number)) return;
        const record = this.encoder.registerName(NameKind.EXCHANGE, exchangeId as number, exchange);
        while (!ring.write(Msg.REGISTER_NAME, record)) waitForSpace(partition);
        known.add(exchangeId as number);
      });
    }
    for (const symbol of symbols) {
      if (this.symbolIds.has(symbol)) continue;
      const symbolId = this.symbolNames.length;
      const partition = partitionOf(symbol, this.inputs.length);
      this.symbolIds.set(symbol, symbolId);
      this.symbolNames.push(symbol);
      this.symbolPartition.push(partition);
      const ring = this.inputs[partition] as RingProducer;
      const record = this.encoder.registerName(NameKind.SYMBOL, symbolId, symbol);
      while (!ring.write(Msg.REGISTER_NAME, record)) waitForSpace(partition);
    }
  }

  /** The partition that owns a known symbol id. */
  partitionOfId(id: number): number | undefined {
    return this.symbolPartition[id];
  }

  /** Writes a record to one partition's ring, waiting for room. */
  send(partition: number, type: number, payload: Uint8Array, waitForSpace: (partition: number) => void): void {
    const ring = this.inputs[partition] as RingProducer;
    while (!ring.write(type, payload)) waitForSpace(partition);
  }

  publish(): void {
    for (const ring of this.inputs) ring.publish();
  }
}
