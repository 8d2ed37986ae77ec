/**
 * From one MLLP frame's bytes to messages: BOM strip, FHS/BHS batch split, charset choice per message (UTF-8 if
 * valid, else MSH-18), decode, parse. Header segments are also read as raw bytes so an ACK can echo them exactly.
 */
import { type DeclaredCharset, decodeHl7Bytes, resolveCharset } from './charset.js';
import type { Hl7Delimiters } from './escape.js';
import { DEFAULT_HL7_LIMITS, delimitersOf, firstLine, parseHl7Message, segmentLines, type Hl7Limits, type ParsedHl7Message } from './message.js';
import type { Hl7Problem } from './problems.js';

/**
 * An MSH, FHS or BHS segment as bytes (each character of `line` is one byte, latin-1 view), read before decoding.
 * Echoing these bytes in an ACK keeps the sender's own encoding whatever its charset.
 */
export interface WireHeader {
  name: 'MSH' | 'FHS' | 'BHS';
  delimiters: Hl7Delimiters;
  /** The raw fields, indexed by HL7 field number ([1] is the field separator, [2] the encoding characters). */
  fields: readonly string[];
}

const HEADER_FIELDS_KEPT = 32;

/** Reads a header segment from its latin-1 view; undefined when it is not one or its delimiters are unusable. */
export function readWireHeader(line: string): WireHeader | undefined {
  const name = line.slice(0, 3);
  if (name !== 'MSH' && name !== 'FHS' && name !== 'BHS') return undefined;
  const delimiters = delimitersOf(line);
  if (delimiters === undefined) return undefined;
  // Only the first fields are ever read (MSH-18, FHS/BHS-12 at most): a header of a million fields stays cheap.
  const parts = line.split(delimiters.field, HEADER_FIELDS_KEPT);
  return { name, delimiters, fields: ['', delimiters.field, ...parts.slice(1)] };
}

/** A raw header field ('' when absent); with `component`, that component of the first repetition. */
export function wireField(header: WireHeader, index: number, component?: number): string {
  const value = header.fields[index] ?? '';
  if (component === undefined) return value;
  const firstRepetition = value.split(header.delimiters.repetition)[0] ?? '';
  return firstRepetition.split(header.delimiters.component)[component - 1] ?? '';
}

/** One message of a frame that parsed. */
export interface InboundMessage {
  kind: 'message';
  message: ParsedHl7Message;
  /** The message bytes as received (segments of a batch member re-joined with CR). */
  raw: Buffer;
  header: WireHeader;
  /** True when the bytes were not UTF-8, MSH-18 was empty, and windows-1252 was assumed. */
  charsetAssumed: boolean;
}

/** One message of a frame that did not parse; `header` is there when MSH itself was readable. */
export interface InboundInvalid {
  kind: 'invalid';
  problem: Hl7Problem;
  raw: Buffer;
  header?: WireHeader;
}

export type InboundItem = InboundMessage | InboundInvalid;

/** A frame's content: one message, or a batch whose envelope headers the reply mirrors. */
export interface InboundFrame {
  items: InboundItem[];
  batch?: { fileHeader?: WireHeader; batchHeader?: WireHeader };
}

const UTF8_BOM = '\xEF\xBB\xBF';

/**
 * Splits and parses a frame payload. Never throws: every problem becomes an `invalid` item. A single message (the
 * usual case) is never split into lines here: only its first line decides whether the frame is a batch.
 */
export function readFrame(payload: Buffer, limits: Readonly<Hl7Limits> = DEFAULT_HL7_LIMITS): InboundFrame {
  let wire = payload.toString('latin1');
  if (wire.startsWith(UTF8_BOM)) wire = wire.slice(UTF8_BOM.length);
  const firstName = firstLine(wire).slice(0, 3);
  if (firstName !== 'FHS' && firstName !== 'BHS') return { items: [readMessageBytes(wire.length === payload.length ? payload : Buffer.from(wire, 'latin1'), limits)] };
  const lines = segmentLines(wire);

  const batch: NonNullable<InboundFrame['batch']> = {};
  const groups: string[][] = [];
  for (const line of lines) {
    const name = line.slice(0, 3);
    if (name === 'FHS' || name === 'BHS') {
      const header = readWireHeader(line);
      if (name === 'FHS') batch.fileHeader ??= header;
      else batch.batchHeader ??= header;
    } else if (name === 'BTS' || name === 'FTS') {
      continue;
    } else if (name === 'MSH' || groups.length === 0) {
      groups.push([line]);
    } else {
      groups[groups.length - 1]?.push(line);
    }
  }
  const items = groups.map((g) => readMessageBytes(Buffer.from(`${g.join('\r')}\r`, 'latin1'), limits));
  return { items, batch };
}

/** Decodes and parses one message's bytes (no batch envelope). */
export function readMessageBytes(raw: Buffer, limits: Readonly<Hl7Limits> = DEFAULT_HL7_LIMITS): InboundItem {
  // A BOM, or blank lines some senders put before MSH, are not part of the message.
  const wire = raw.toString('latin1').replace(/^(\xEF\xBB\xBF)?[\r\n]*/, '');
  const bytes = wire.length === raw.length ? raw : Buffer.from(wire, 'latin1');
  const header = readWireHeader(wire.slice(0, lineEnd(wire)));
  if (header === undefined || header.name !== 'MSH') {
    // Let the parser name the exact problem (no MSH, or unusable delimiters).
    const parsed = parseHl7Message(wire, { encoding: 'windows-1252', limits });
    const problem: Hl7Problem = parsed.ok ? { code: 'GW_ERR_HL7_MALFORMED', detail: 'MSH could not be read' } : parsed.problem;
    return { kind: 'invalid', problem, raw: bytes };
  }
  // Bounded like every field (the parse that follows refuses more), so a bomb in MSH-18 costs no more than its bytes.
  const declared = resolveCharset(wireField(header, 18).split(header.delimiters.repetition, limits.maxRepetitionsPerField + 1));
  const decoded = decodeHl7Bytes(bytes, declared);
  if (!decoded.ok) {
    return { kind: 'invalid', problem: { code: decoded.code, detail: decoded.detail, location: { segment: 'MSH', sequence: 1, field: 18 } }, raw: bytes, header };
  }
  const parsed = parseHl7Message(decoded.text, { encoding: decoded.encoding, hexEncodings: hexEncodingsFor(decoded.encoding, declared), limits });
  if (!parsed.ok) return { kind: 'invalid', problem: parsed.problem, raw: bytes, header };
  return { kind: 'message', message: parsed.message, raw: bytes, header, charsetAssumed: decoded.assumed };
}

/** Where the first line ends (its CR or LF), found by one scan. */
function lineEnd(text: string): number {
  const m = /[\r\n]/.exec(text);
  return m === null ? text.length : m.index;
}

/** A UTF-8 message may still carry hex escapes meant in its declared charset, so that one is tried second. */
function hexEncodingsFor(encoding: string, declared: DeclaredCharset): string[] {
  if (encoding !== 'utf-8') return [encoding];
  return ['utf-8', declared.kind === 'known' && declared.encoding !== 'utf-8' ? declared.encoding : 'windows-1252'];
}
