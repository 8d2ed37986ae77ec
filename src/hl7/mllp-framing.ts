/** MLLP framing (HL7 v2.x Appendix C, release 1): a byte-level decoder state machine and the encoder. */

/** Start block (VT). */
export const MLLP_START = 0x0b;
/** End block (FS). */
export const MLLP_END = 0x1c;
/** Carriage return that must follow the end block. */
export const MLLP_CR = 0x0d;

const LF = 0x0a;

/**
 * What the decoder saw in the byte stream. Only `frame` carries a message; the rest are the peer's framing faults,
 * reported so the transport can log them and, for an oversize frame, still answer.
 */
export type MllpDecoderEvent =
  | { kind: 'frame'; payload: Buffer }
  /** A frame longer than maxMessageBytes was discarded; `head` keeps its first bytes (its MSH) for the reply. */
  | { kind: 'frame-too-large'; head: Buffer; frameBytes: number }
  /** Bytes outside any frame (CR and LF between frames are tolerated silently). */
  | { kind: 'garbage'; byteCount: number }
  /** An end block not followed by CR. The frame before it was delivered: FS cannot occur inside HL7 text. */
  | { kind: 'missing-cr' }
  /** A start block arrived inside a frame: the unfinished frame was dropped and a new one begun. */
  | { kind: 'unterminated-frame'; frameBytes: number };

export interface MllpDecoderOptions {
  /** Largest frame payload kept; longer frames are discarded as they stream in. */
  maxMessageBytes: number;
  /** How many leading bytes of a discarded frame to keep for the reply (default 4 KiB). */
  headBytes?: number;
}

type State = 'between' | 'in-frame' | 'discarding' | 'after-end';

/** First allocation for a frame: a typical report ORU (3-10 KB) needs one or two growths at most. */
const INITIAL_CAPACITY = 16 * 1024;

/**
 * Turns TCP chunks into MLLP frames. Frames may be split anywhere (even between FS and CR) or packed several to a
 * chunk; memory stays bounded by maxMessageBytes plus headBytes whatever the peer sends.
 */
export class MllpDecoder {
  private state: State = 'between';
  /**
   * The frame so far, in one buffer grown by doubling. A list of the socket's chunks cost a Buffer object per TCP
   * read: a frame written one byte at a time held ~100 bytes of heap and a malloc'd block per payload byte, and
   * the fragmented native memory stayed in RSS after the frame was gone. Dropped after each frame, so no
   * connection keeps the capacity of its largest frame.
   */
  private buffer: Buffer | undefined;
  private length = 0;
  private head: Buffer = Buffer.alloc(0);
  private discarded = 0;
  private garbage = 0;
  private readonly maxBytes: number;
  private readonly headBytes: number;

  constructor(options: MllpDecoderOptions) {
    this.maxBytes = options.maxMessageBytes;
    this.headBytes = Math.min(options.headBytes ?? 4096, options.maxMessageBytes);
  }

  /** True while a frame has started and not ended (a peer that stops here is mid-message). */
  get midFrame(): boolean {
    return this.state === 'in-frame' || this.state === 'discarding';
  }

  /** Payload bytes held right now; never more than maxMessageBytes. */
  get bufferedBytes(): number {
    return this.length + this.head.length;
  }

  /** Feeds one chunk; returns what completed in it, in stream order. */
  push(chunk: Buffer): MllpDecoderEvent[] {
    const out: MllpDecoderEvent[] = [];
    let i = 0;
    while (i < chunk.length) {
      switch (this.state) {
        case 'after-end':
          // MLLP ends a block with FS CR; we deliver at FS and only note a missing CR.
          this.state = 'between';
          if (chunk[i] === MLLP_CR) i += 1;
          else out.push({ kind: 'missing-cr' });
          break;
        case 'between':
          i = this.skipToStart(chunk, i, out);
          break;
        case 'in-frame':
        case 'discarding':
          i = this.readFrameBytes(chunk, i, out);
          break;
      }
    }
    this.flushGarbage(out);
    return out;
  }

  /** End of stream: reports a frame the peer left unfinished. */
  finish(): MllpDecoderEvent[] {
    const out: MllpDecoderEvent[] = [];
    if (this.state === 'in-frame') out.push({ kind: 'unterminated-frame', frameBytes: this.length });
    if (this.state === 'discarding') out.push({ kind: 'frame-too-large', head: this.head, frameBytes: this.discarded });
    this.flushGarbage(out);
    this.reset('between');
    return out;
  }

  private skipToStart(chunk: Buffer, from: number, out: MllpDecoderEvent[]): number {
    const start = chunk.indexOf(MLLP_START, from);
    const end = start < 0 ? chunk.length : start;
    for (let k = from; k < end; k++) if (chunk[k] !== MLLP_CR && chunk[k] !== LF) this.garbage += 1;
    if (start < 0) return chunk.length;
    this.flushGarbage(out);
    this.reset('in-frame');
    return start + 1;
  }

  private readFrameBytes(chunk: Buffer, from: number, out: MllpDecoderEvent[]): number {
    const fs = chunk.indexOf(MLLP_END, from);
    const vt = chunk.indexOf(MLLP_START, from);
    const stop = fs < 0 ? vt : vt < 0 ? fs : Math.min(fs, vt);
    const end = stop < 0 ? chunk.length : stop;
    if (stop === fs && stop >= 0 && this.state === 'in-frame' && this.length === 0 && end - from <= this.maxBytes) {
      // The whole frame is in this chunk (the usual case): one exact copy, no growing buffer.
      out.push({ kind: 'frame', payload: Buffer.from(chunk.subarray(from, end)) });
      this.reset('after-end');
      return stop + 1;
    }
    this.add(chunk.subarray(from, end));
    if (stop < 0) return chunk.length;
    if (stop === vt) {
      out.push(this.abandonedFrame());
      this.reset('in-frame');
    } else {
      out.push(this.completedFrame());
      this.reset('after-end');
    }
    return stop + 1;
  }

  private add(bytes: Buffer): void {
    if (bytes.length === 0) return;
    if (this.state === 'discarding') {
      this.discarded += bytes.length;
      return;
    }
    if (this.length + bytes.length <= this.maxBytes) {
      this.append(bytes);
      return;
    }
    // Over the limit: keep only the head (it holds MSH, so the reply can name the message) and count the rest.
    const kept = Math.min(this.length, this.headBytes);
    this.head = Buffer.alloc(Math.min(this.headBytes, this.length + bytes.length));
    this.buffer?.copy(this.head, 0, 0, kept);
    bytes.copy(this.head, kept, 0, this.head.length - kept);
    this.discarded = this.length + bytes.length;
    this.buffer = undefined;
    this.length = 0;
    this.state = 'discarding';
  }

  /** Copies bytes into the frame buffer; capacity doubles (amortized linear), never past maxMessageBytes. */
  private append(bytes: Buffer): void {
    const needed = this.length + bytes.length;
    if (this.buffer === undefined || needed > this.buffer.length) {
      const capacity = Math.min(this.maxBytes, Math.max(needed, (this.buffer?.length ?? 0) * 2, INITIAL_CAPACITY));
      const grown = Buffer.allocUnsafe(capacity);
      this.buffer?.copy(grown, 0, 0, this.length);
      this.buffer = grown;
    }
    bytes.copy(this.buffer, this.length);
    this.length = needed;
  }

  private completedFrame(): MllpDecoderEvent {
    if (this.state === 'discarding') return { kind: 'frame-too-large', head: this.head, frameBytes: this.discarded };
    // A payload that filled less than half its buffer is copied out, so a queued frame never holds twice its size.
    const buffer = this.buffer ?? Buffer.alloc(0);
    const payload = this.length * 2 >= buffer.length ? buffer.subarray(0, this.length) : Buffer.from(buffer.subarray(0, this.length));
    return { kind: 'frame', payload };
  }

  private abandonedFrame(): MllpDecoderEvent {
    if (this.state === 'discarding') return { kind: 'frame-too-large', head: this.head, frameBytes: this.discarded };
    return { kind: 'unterminated-frame', frameBytes: this.length };
  }

  private flushGarbage(out: MllpDecoderEvent[]): void {
    if (this.garbage === 0) return;
    out.push({ kind: 'garbage', byteCount: this.garbage });
    this.garbage = 0;
  }

  private reset(state: State): void {
    this.state = state;
    this.buffer = undefined;
    this.length = 0;
    this.head = Buffer.alloc(0);
    this.discarded = 0;
  }
}

/**
 * Wraps a payload in VT … FS CR. The payload must not contain VT or FS: everything we send is built by our own
 * escaping (control characters become \Xhh\) or echoed from a frame, which cannot contain them.
 */
export function encodeMllpFrame(payload: Buffer): Buffer {
  if (payload.includes(MLLP_START) || payload.includes(MLLP_END)) {
    throw new RangeError('an MLLP payload cannot contain VT (0x0B) or FS (0x1C)');
  }
  const frame = Buffer.allocUnsafe(payload.length + 3);
  frame[0] = MLLP_START;
  payload.copy(frame, 1);
  frame[payload.length + 1] = MLLP_END;
  frame[payload.length + 2] = MLLP_CR;
  return frame;
}
