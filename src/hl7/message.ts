/**
 * A parsed HL7 v2 message with a small typed accessor. Structure comes from @medplum/core's Hl7Message (any
 * delimiters, repetitions, components, subcomponents); every value read through here is unescaped.
 */
import { Hl7Context, Hl7Message, Hl7Segment, type Hl7Field } from '@medplum/core';
import { type Hl7Delimiters, unescapeHl7 } from './escape.js';
import type { Hl7Problem } from './problems.js';

/** A position inside a field; all 1-based, as in HL7's own names (OBR-3.1, PID-3.4.2, 2nd repetition). */
export interface FieldPosition {
  component?: number;
  subcomponent?: number;
  repetition?: number;
}

/** MSH-15/16 values (HL7 table 0155). */
export type AckType = 'AL' | 'NE' | 'ER' | 'SU';
const ACK_TYPES: ReadonlySet<string> = new Set(['AL', 'NE', 'ER', 'SU']);

const SEGMENT_NAME = /^[A-Z][A-Z0-9]{2}$/;

/** Reads MSH-1/MSH-2 (or FHS/BHS-1/2) from a header line; undefined when they are not usable delimiters. */
export function delimitersOf(line: string): Hl7Delimiters | undefined {
  const field = line.charAt(3);
  const end = line.indexOf(field, 4);
  const chars = end < 0 ? line.slice(4) : line.slice(4, end);
  if (field === '' || (chars.length !== 4 && chars.length !== 5)) return undefined;
  const all = [field, ...chars];
  if (new Set(all).size !== all.length || all.some((c) => /[A-Za-z0-9\s]/.test(c))) return undefined;
  // Length checked above: charAt(0..3) are real characters; charAt(4) is '' without a truncation character.
  const truncation = chars.charAt(4);
  return { field, component: chars.charAt(0), repetition: chars.charAt(1), escape: chars.charAt(2), subcomponent: chars.charAt(3), ...(truncation === '' ? {} : { truncation }) };
}

/** Splits text into segment lines; CR, LF and CRLF all end a segment (corpus files use each), blank lines dropped. */
export function segmentLines(text: string): string[] {
  return text.split(/\r\n|\r|\n/).filter((l) => l.trim() !== '');
}

/**
 * The first non-blank line of a text, found without splitting the rest (a frame can hold millions of lines).
 * '' when there is none.
 */
export function firstLine(text: string): string {
  const re = /[^\r\n]+/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) if (m[0].trim() !== '') return m[0];
  return '';
}

/**
 * Bounds on a message's structure, checked in one linear pass before anything is split, so parsing, storing and
 * ACKing cost time linear in the message size and a message built to be expensive is refused cheaply (config
 * `hl7.limits.*`, defaults in src/config/schema.ts with the reasons).
 */
export interface Hl7Limits {
  /** Segments per message (lines that continue a value inside a segment do not count). */
  maxSegments: number;
  /** Fields per segment (MSH-1 counted as a field, as in HL7's own numbering). */
  maxFieldsPerSegment: number;
  /** Repetitions per field (HL7 v2.5.1 §2.5.3: the repetition separator, MSH-2 second character). */
  maxRepetitionsPerField: number;
}

/** Used where no configuration reaches (our own client reading ACKs, tools); the same as the config defaults. */
export const DEFAULT_HL7_LIMITS: Readonly<Hl7Limits> = Object.freeze({ maxSegments: 5000, maxFieldsPerSegment: 256, maxRepetitionsPerField: 2000 });

/** At most this many "raw line break" warnings are listed one by one; the rest are counted in one more line. */
const MAX_LISTED_WARNINGS = 5;

interface SegmentSpan {
  name: string;
  /** Which occurrence of its name (ERR-2.2, HL7 v2.5.1 §2.15.5.2). */
  sequence: number;
  start: number;
  end: number;
  /** Raw line breaks inside this segment's values (lines that did not start a segment). */
  continued: boolean;
}

type SplitResult = { ok: true; segments: string[]; warnings: string[] } | { ok: false; problem: Hl7Problem };

/**
 * Splits a message into segments and checks the limits, in time linear in its length: each line is found with one
 * regex scan, segments are kept as offsets until the counts are known, and only then sliced. A line that does not
 * start a segment is a raw line break inside a value (dcm4che's ORU^R01-PDF breaks its Base64 that way): it is
 * kept as '\n' inside the previous segment rather than rejecting the whole report.
 */
function splitSegments(body: string, delimiters: Hl7Delimiters, limits: Hl7Limits): SplitResult {
  const spans: SegmentSpan[] = [];
  const counts = new Map<string, number>();
  const warnings: string[] = [];
  let continuations = 0;
  let lineNumber = 0;
  const re = /[^\r\n]+/g;
  for (let m = re.exec(body); m !== null; m = re.exec(body)) {
    const line = m[0];
    if (line.trim() === '') continue;
    lineNumber += 1;
    const last = spans[spans.length - 1];
    if (last === undefined || (SEGMENT_NAME.test(line.slice(0, 3)) && (line.length === 3 || line.charAt(3) === delimiters.field))) {
      const name = line.slice(0, 3);
      const sequence = (counts.get(name) ?? 0) + 1;
      counts.set(name, sequence);
      if (spans.length >= limits.maxSegments) {
        return limitProblem(`the message has more than ${limits.maxSegments} segments (hl7.limits.maxSegments)`, { segment: name, sequence });
      }
      const problem = checkSegment(line, name, sequence, delimiters, limits);
      if (problem !== undefined) return { ok: false, problem };
      spans.push({ name, sequence, start: m.index, end: m.index + line.length, continued: false });
    } else if (last.name === 'MSH') {
      // Not for MSH: the ACK echoes MSH-10 and the duplicate check keys on MSH-3/4/10 as read from the first line
      // (inbound.ts), so a header continued on another line would be ACKed under one control ID and stored under
      // another (found by the MLLP fuzzer, issue 15). HL7 v2.5.1 §2.5.1: a segment ends at its CR.
      return { ok: false, problem: { code: 'GW_ERR_HL7_MALFORMED', detail: `line ${lineNumber} breaks the MSH segment: a message header must be one line`, location: { segment: 'MSH', sequence: 1 } } };
    } else {
      // A continuation belongs to the segment before it, so the segment's fields are counted again as a whole.
      last.end = m.index + line.length;
      last.continued = true;
      continuations += 1;
      if (continuations <= MAX_LISTED_WARNINGS) warnings.push(`line ${lineNumber} does not start a segment; kept as a line break inside segment ${spans.length}`);
    }
  }
  if (continuations > MAX_LISTED_WARNINGS) warnings.push(`${continuations - MAX_LISTED_WARNINGS} more lines do not start a segment; kept as line breaks inside their segments`);
  const segments: string[] = [];
  for (const span of spans) {
    const text = body.slice(span.start, span.end);
    if (!span.continued) {
      segments.push(text);
      continue;
    }
    const joined = text.split(/\r\n|\r|\n/).filter((l) => l.trim() !== '').join('\n');
    const problem = checkSegment(joined, span.name, span.sequence, delimiters, limits);
    if (problem !== undefined) return { ok: false, problem };
    segments.push(joined);
  }
  return { ok: true, segments, warnings };
}

/**
 * Counts one segment's fields and each field's repetitions in a single pass over its characters (no split).
 * MSH-2 holds the delimiters themselves, so the scan of an MSH starts after it.
 */
function checkSegment(line: string, name: string, sequence: number, d: Hl7Delimiters, limits: Hl7Limits): Hl7Problem | undefined {
  const fieldCode = d.field.charCodeAt(0);
  const repetitionCode = d.repetition.charCodeAt(0);
  const isMsh = name === 'MSH';
  // HL7 numbering: for MSH the separator itself is MSH-1, so the field after the first separator is MSH-2.
  let field = isMsh ? 1 : 0;
  let repetitions = 1;
  let from = 3;
  if (isMsh) {
    const afterMsh2 = line.indexOf(d.field, 4);
    if (afterMsh2 < 0) return undefined;
    from = afterMsh2;
    field = 2;
  }
  for (let i = from; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c === fieldCode) {
      field += 1;
      repetitions = 1;
      if (field > limits.maxFieldsPerSegment) {
        return limitProblem(`segment ${name} has more than ${limits.maxFieldsPerSegment} fields (hl7.limits.maxFieldsPerSegment)`, { segment: name, sequence, field }).problem;
      }
    } else if (c === repetitionCode) {
      repetitions += 1;
      if (repetitions > limits.maxRepetitionsPerField) {
        return limitProblem(`${name}-${field} has more than ${limits.maxRepetitionsPerField} repetitions (hl7.limits.maxRepetitionsPerField)`, { segment: name, sequence, field, repetition: repetitions })
          .problem;
      }
    }
  }
  return undefined;
}

function limitProblem(detail: string, location: Hl7Problem['location']): { ok: false; problem: Hl7Problem } {
  return { ok: false, problem: { code: 'GW_ERR_HL7_LIMIT_EXCEEDED', detail, ...(location === undefined ? {} : { location }) } };
}

/** One segment, read with unescaping. */
export class Hl7SegmentView {
  constructor(
    private readonly segment: Hl7Segment,
    private readonly message: ParsedHl7Message,
  ) {}

  get name(): string {
    return this.segment.name;
  }

  /** The decoded text at a position ('' when absent). Without a component, the first component. */
  field(index: number, position: FieldPosition = {}): string {
    const field = this.rawField(index);
    if (field === undefined) return '';
    // MSH-1 and MSH-2 are the delimiters themselves, never escaped.
    if (this.segment.name === 'MSH' && index <= 2) return field.toString();
    const repetition = (position.repetition ?? 1) - 1;
    if (repetition < 0 || repetition >= field.components.length) return '';
    // @medplum/core: component 1-based, subcomponent 0-based, repetition 0-based.
    const sub = position.subcomponent === undefined ? undefined : position.subcomponent - 1;
    const value = field.getComponent(position.component ?? 1, sub, repetition);
    return unescapeHl7(value, this.message.delimiters, { hexEncodings: this.message.hexEncodings });
  }

  /**
   * The decoded text at one component (and subcomponent) of every repetition, in order, in one pass: reading
   * repetition by repetition through field() re-checked the whole field each time (the D2 repetition bomb).
   * [] when the field is empty.
   */
  repetitions(index: number, position: Omit<FieldPosition, 'repetition'> = {}): string[] {
    const field = this.rawField(index);
    if (field === undefined || isEmptyField(field)) return [];
    if (this.segment.name === 'MSH' && index <= 2) return [field.toString()];
    const sub = position.subcomponent === undefined ? undefined : position.subcomponent - 1;
    const options = { hexEncodings: this.message.hexEncodings };
    return field.components.map((_, r) => unescapeHl7(field.getComponent(position.component ?? 1, sub, r), this.message.delimiters, options));
  }

  /** How many repetitions the field has (0 when empty); constant time. */
  repetitionCount(index: number): number {
    const field = this.rawField(index);
    if (field === undefined || isEmptyField(field)) return 0;
    return field.components.length;
  }

  /** The field as written on the wire, still escaped; for storing or echoing, not for reading values. */
  rawText(index: number): string {
    return this.rawField(index)?.toString() ?? '';
  }

  private rawField(index: number): Hl7Field | undefined {
    if (index < 1) return undefined;
    // Past the last field @medplum/core returns undefined although its type says Hl7Field.
    return this.segment.getField(index) as Hl7Field | undefined;
  }
}

/** True for a field with no content: one repetition of one empty component (what '' parses to). */
function isEmptyField(field: Hl7Field): boolean {
  const only = field.components.length === 1 ? field.components[0] : undefined;
  return only !== undefined && only.length === 1 && only[0] === '';
}

/** MSH-9: message code, trigger event and structure. */
export interface MessageType {
  code: string;
  trigger: string;
  structure: string;
}

/** A parsed message. Build one with parseHl7Message or readHl7Message. */
export class ParsedHl7Message {
  /** Charsets for \Xhh\ bytes: the decoding charset first, then the declared one (see decodeEscapedBytes). */
  readonly hexEncodings: readonly string[];
  private readonly views: Hl7SegmentView[];
  /** Segments by name, so a lookup by name costs the segments it returns, not the whole message. */
  private readonly byName = new Map<string, Hl7SegmentView[]>();

  constructor(
    private readonly inner: Hl7Message,
    readonly delimiters: Readonly<Hl7Delimiters>,
    /** The decoded message text (BOM stripped). */
    readonly text: string,
    /** The charset the bytes were decoded with (a TextDecoder label). */
    readonly encoding: string,
    hexEncodings: readonly string[],
    /** What was tolerated while parsing (raw line breaks inside values); empty for a clean message. */
    readonly warnings: readonly string[] = [],
  ) {
    this.hexEncodings = hexEncodings;
    this.views = inner.segments.map((s) => new Hl7SegmentView(s, this));
    for (const view of this.views) {
      const list = this.byName.get(view.name);
      if (list === undefined) this.byName.set(view.name, [view]);
      else list.push(view);
    }
  }

  /** All segments, or those with one name, in message order. */
  segments(name?: string): Hl7SegmentView[] {
    return name === undefined ? [...this.views] : [...(this.byName.get(name) ?? [])];
  }

  /** The n-th (1-based) segment with this name. */
  segment(name: string, occurrence = 1): Hl7SegmentView | undefined {
    return this.byName.get(name)?.[occurrence - 1];
  }

  /** Decoded text of a field of the first (or `occurrence`-th) segment with this name; '' when absent. */
  field(segment: string, index: number, position: FieldPosition & { occurrence?: number } = {}): string {
    return this.segment(segment, position.occurrence ?? 1)?.field(index, position) ?? '';
  }

  /** MSH-10, the sender's message control id: the key for duplicate detection and for MSA-2 in our ACK. */
  get controlId(): string {
    return this.field('MSH', 10);
  }

  get messageType(): MessageType {
    return { code: this.field('MSH', 9), trigger: this.field('MSH', 9, { component: 2 }), structure: this.field('MSH', 9, { component: 3 }) };
  }

  /** MSH-3 and MSH-4 as written (still escaped): with MSH-10, what identifies a message for duplicate detection. */
  get sender(): { application: string; facility: string } {
    const msh = this.segment('MSH');
    return { application: msh?.rawText(3) ?? '', facility: msh?.rawText(4) ?? '' };
  }

  /** MSH-12 version id (2.3, 2.5.1 …). */
  get version(): string {
    return this.field('MSH', 12);
  }

  /** MSH-15; undefined (original acknowledgment mode) when empty or not a table 0155 value. */
  get acceptAckType(): AckType | undefined {
    return ackType(this.field('MSH', 15));
  }

  /** MSH-16; undefined when empty or not a table 0155 value. */
  get applicationAckType(): AckType | undefined {
    return ackType(this.field('MSH', 16));
  }

  /** The underlying @medplum/core message (values there are still escaped). */
  get structure(): Hl7Message {
    return this.inner;
  }
}

function ackType(value: string): AckType | undefined {
  const v = value.trim().toUpperCase();
  return ACK_TYPES.has(v) ? (v as AckType) : undefined;
}

export type Hl7ParseResult = { ok: true; message: ParsedHl7Message } | { ok: false; problem: Hl7Problem };

export interface ParseOptions {
  /** The charset the text was decoded from (default utf-8). */
  encoding?: string;
  /** Charsets for \Xhh\ bytes (default: encoding, then windows-1252). */
  hexEncodings?: readonly string[];
  /** Structure bounds (default DEFAULT_HL7_LIMITS); a message over one is a GW_ERR_HL7_LIMIT_EXCEEDED problem. */
  limits?: Readonly<Hl7Limits>;
}

/**
 * Parses one message's text: a leading BOM is dropped, MSH must come first with valid delimiters, the structure
 * must be within the limits, and MSH-9 and MSH-10 must be valued (the ACK needs them). Time linear in the length.
 */
export function parseHl7Message(text: string, options: ParseOptions = {}): Hl7ParseResult {
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const first = firstLine(body);
  if (first === '' || !first.startsWith('MSH')) {
    return fail('GW_ERR_HL7_NOT_HL7', 'the message does not start with an MSH segment');
  }
  const delimiters = delimitersOf(first);
  if (delimiters === undefined) {
    return fail('GW_ERR_HL7_MALFORMED', 'MSH-1/MSH-2 do not hold usable delimiters (one field separator and 4 or 5 distinct encoding characters)', { segment: 'MSH', sequence: 1, field: 2 });
  }
  const split = splitSegments(body, delimiters, options.limits ?? DEFAULT_HL7_LIMITS);
  if (!split.ok) return split;
  const context = new Hl7Context('\r', delimiters.field, delimiters.component, delimiters.repetition, delimiters.escape, delimiters.subcomponent);
  const inner = new Hl7Message(split.segments.map((l) => Hl7Segment.parse(l, context)), context);
  const encoding = options.encoding ?? 'utf-8';
  const hexEncodings = options.hexEncodings ?? (encoding === 'windows-1252' ? [encoding] : [encoding, 'windows-1252']);
  const message = new ParsedHl7Message(inner, delimiters, body, encoding, hexEncodings, split.warnings);
  if (message.messageType.code === '') return fail('GW_ERR_HL7_REQUIRED_FIELD', 'MSH-9 (message type) is empty', { segment: 'MSH', sequence: 1, field: 9 });
  if (message.controlId === '') return fail('GW_ERR_HL7_REQUIRED_FIELD', 'MSH-10 (message control id) is empty', { segment: 'MSH', sequence: 1, field: 10 });
  return { ok: true, message };
}

function fail(code: Hl7Problem['code'], detail: string, location?: Hl7Problem['location']): Hl7ParseResult {
  return { ok: false, problem: { code, detail, ...(location === undefined ? {} : { location }) } };
}
