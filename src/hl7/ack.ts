/**
 * ACK messages: choosing the code (original AA/AE/AR or enhanced CA/CE/CR per MSH-15), building the ACK from the
 * received header (echoed as raw bytes, so it goes back in the sender's own charset), batch ACKs, and reading
 * the ACKs peers send us.
 */
import { encodeHl7Text } from './charset.js';
import { DEFAULT_DELIMITERS, escapeHl7, type Hl7Delimiters } from './escape.js';
import { type WireHeader, wireField } from './inbound.js';
import type { AckType, ParsedHl7Message } from './message.js';
import { TABLE_0357, type Hl7ErrorDetail } from './problems.js';

/** MSA-1 values (HL7 table 0008). */
export const ACK_CODES = ['AA', 'AE', 'AR', 'CA', 'CE', 'CR'] as const;
export type AckCode = (typeof ACK_CODES)[number];

/** What the message handler decided, in original-mode terms. AE: retry may help; AR: it never will. */
export type Hl7AckDecision = { code: 'AA'; text?: string } | { code: 'AE' | 'AR'; error: Hl7ErrorDetail; text?: string };

/** The version we write when the received message gives none (or could not be read). */
export const DEFAULT_HL7_VERSION = '2.5.1';

/**
 * The ACK code to send for a decision, or undefined when MSH-15 says none is wanted. Without MSH-15 (original
 * mode) every message gets AA/AE/AR; with it (enhanced mode) the accept ACK is CA/CE/CR, sent per AL/NE/ER/SU.
 */
export function ackCodeFor(decision: Hl7AckDecision['code'], acceptAckType: AckType | undefined): AckCode | undefined {
  if (acceptAckType === undefined) return decision;
  const code = decision === 'AA' ? 'CA' : decision === 'AE' ? 'CE' : 'CR';
  switch (acceptAckType) {
    case 'AL':
      return code;
    case 'NE':
      return undefined;
    case 'ER':
      return code === 'CA' ? undefined : code;
    case 'SU':
      return code === 'CA' ? code : undefined;
  }
}

/** MSH-15 read from raw header bytes (for messages that did not parse). */
export function wireAcceptAckType(header: WireHeader | undefined): AckType | undefined {
  const v = header === undefined ? '' : wireField(header, 15).trim().toUpperCase();
  return v === 'AL' || v === 'NE' || v === 'ER' || v === 'SU' ? v : undefined;
}

export interface AckBuildContext {
  /** MSH-10 of the ACK itself. */
  controlId: string;
  now: Date;
  /** Charset of the received message: our own text (MSA-3, ERR-8) is encoded in it. Undefined: ASCII only. */
  encoding?: string;
}

export interface AckContent {
  code: AckCode;
  /** MSA-3 (deprecated since v2.4 but still read by many receivers). */
  text?: string;
  error?: Hl7ErrorDetail;
}

/**
 * Builds an ACK as wire bytes (latin-1 view: one character per byte). Sending and receiving application/facility
 * are swapped, MSH-9 is ACK^<trigger>^ACK, MSH-11/12/18 and the delimiters are echoed, MSA-2 = received MSH-10.
 * With no readable header (not HL7 at all) the ACK uses default delimiters and leaves MSA-2 empty.
 */
export function buildAck(header: WireHeader | undefined, content: AckContent, ctx: AckBuildContext): string {
  const d = header?.delimiters ?? DEFAULT_DELIMITERS;
  const echo = (n: number): string => (header === undefined ? '' : wireField(header, n));
  const own = (text: string): string => toWire(escapeHl7(text, d), ctx.encoding);
  const trigger = header === undefined ? '' : wireField(header, 9, 2);
  const msh = [
    'MSH',
    msh2(d),
    echo(5),
    echo(6),
    echo(3),
    echo(4),
    hl7Timestamp(ctx.now),
    '',
    trigger === '' ? 'ACK' : ['ACK', trigger, 'ACK'].join(d.component),
    own(ctx.controlId),
    echo(11) || 'P',
    echo(12) || DEFAULT_HL7_VERSION,
    '',
    '',
    '',
    '',
    '',
    echo(18),
  ];
  const segments = [trimFields(msh).join(d.field), trimFields(['MSA', content.code, echo(10), content.text === undefined ? '' : own(content.text)]).join(d.field)];
  if (content.error !== undefined) segments.push(errSegment(content.error, d, own));
  return `${segments.join('\r')}\r`;
}

/** ERR with both the v2.5+ fields (ERR-2 location, ERR-3 code, ERR-4 severity, ERR-5, ERR-8) and v2.3's ERR-1. */
function errSegment(error: Hl7ErrorDetail, d: Hl7Delimiters, own: (text: string) => string): string {
  const condition = [error.condition, TABLE_0357[error.condition], 'HL70357'];
  const loc = error.location;
  const eld = [loc?.segment ?? '', num(loc?.sequence), num(loc?.field), condition.join(d.subcomponent)].join(d.component);
  const erl = loc === undefined ? '' : trimFields([loc.segment, num(loc.sequence), num(loc.field), num(loc.repetition), num(loc.component), num(loc.subcomponent)]).join(d.component);
  const fields = ['ERR', eld, erl, condition.join(d.component), error.severity ?? 'E', error.applicationCode === undefined ? '' : own(error.applicationCode), '', '', own(error.userMessage)];
  return trimFields(fields).join(d.field);
}

export interface BatchAckContext {
  /** Control ids for the FHS-11 / BHS-11 of the reply. */
  nextControlId: () => string;
  now: Date;
}

/**
 * Wraps ACKs for a received batch in a reply batch: FHS (when the request had one), BHS, the ACKs, BTS, FTS.
 * FHS-12/BHS-12 reference the received file/batch control ids.
 */
export function buildBatchAck(batch: { fileHeader?: WireHeader; batchHeader?: WireHeader }, acks: readonly string[], ctx: BatchAckContext): string {
  const d = batch.batchHeader?.delimiters ?? batch.fileHeader?.delimiters ?? DEFAULT_DELIMITERS;
  const header = (name: 'FHS' | 'BHS', received: WireHeader | undefined): string => {
    const echo = (n: number): string => (received === undefined ? '' : wireField(received, n));
    return trimFields([name, msh2(d), echo(5), echo(6), echo(3), echo(4), hl7Timestamp(ctx.now), '', '', '', ctx.nextControlId(), echo(11)]).join(d.field);
  };
  const lines: string[] = [];
  if (batch.fileHeader !== undefined) lines.push(header('FHS', batch.fileHeader));
  lines.push(header('BHS', batch.batchHeader));
  const body = acks.map((a) => a.replace(/\r$/, ''));
  lines.push(...body, `BTS${d.field}${acks.length}`);
  if (batch.fileHeader !== undefined) lines.push(`FTS${d.field}1`);
  return `${lines.join('\r')}\r`;
}

/** An ACK we received, as the client checks it. */
export interface ReceivedAck {
  code: AckCode;
  /** MSA-2: must equal the MSH-10 we sent. */
  acknowledgedControlId: string;
  /** MSA-3 and every ERR-8/ERR-3 text, for the outbox's last_error. */
  text: string;
  /** ERR-3.1 codes (table 0357), or ERR-1.4.1 for v2.3-style peers. */
  conditions: string[];
}

/** Reads MSA (and ERR) from a parsed ACK; undefined when there is no MSA-1 with a table 0008 code. */
export function readAck(message: ParsedHl7Message): ReceivedAck | undefined {
  const code = message.field('MSA', 1).trim().toUpperCase();
  if (!(ACK_CODES as readonly string[]).includes(code)) return undefined;
  const errs = message.segments('ERR');
  const conditions = errs.map((e) => e.field(3) || e.field(1, { component: 4, subcomponent: 1 })).filter((c) => c !== '');
  const texts = [message.field('MSA', 3), ...errs.map((e) => e.field(8) || e.field(3, { component: 2 }) || e.field(1, { component: 4, subcomponent: 2 }))];
  return { code: code as AckCode, acknowledgedControlId: message.field('MSA', 2), text: texts.filter((t) => t !== '').join('; '), conditions };
}

/** DTM as YYYYMMDDHHMMSS+0000 (UTC). */
export function hl7Timestamp(date: Date): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${date.getUTCFullYear()}${p(date.getUTCMonth() + 1)}${p(date.getUTCDate())}${p(date.getUTCHours())}${p(date.getUTCMinutes())}${p(date.getUTCSeconds())}+0000`;
}

function msh2(d: Hl7Delimiters): string {
  return `${d.component}${d.repetition}${d.escape}${d.subcomponent}${d.truncation ?? ''}`;
}

function num(n: number | undefined): string {
  return n === undefined ? '' : String(n);
}

/** Drops trailing empty fields: receivers treat them as absent anyway, and the ACK stays short. */
function trimFields(fields: string[]): string[] {
  let end = fields.length;
  while (end > 1 && fields[end - 1] === '') end -= 1;
  return fields.slice(0, end);
}

/** Our own text in the message's charset, as wire characters; what cannot be encoded there becomes '?'. */
function toWire(text: string, encoding: string | undefined): string {
  const encoded = encoding === undefined ? undefined : encodeHl7Text(text, encoding);
  const bytes = encoded ?? Buffer.from(text.replace(/[^\x00-\x7f]/g, '?'), 'latin1');
  return bytes.toString('latin1');
}
