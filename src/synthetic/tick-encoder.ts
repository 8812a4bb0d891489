// The interface of the three output encodings of `tickflow gen`
// (encoders.ts picks one).

import type { GenTick } from './gen-tick';

/** Where encoded records go; SyncWriter is one. */
export interface EncoderOutput {
  /** One line of text, without its newline. */
  line(text: string): void;
  /** Binary data, valid only for the duration of the call. */
  bytes(data: Uint8Array): void;
}

export interface TickEncoder {
  write(tick: GenTick): void;
  /** Hands on what is buffered (a partial FlatBuffers batch); text is written as it comes. */
  flush(): void;
}
