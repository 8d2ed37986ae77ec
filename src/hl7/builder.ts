/** Builds HL7 v2 messages to send (the AI-flag ORU^R01 and others): every value escaped, MSH filled from a spec. */
import { hl7Timestamp } from './ack.js';
import { DEFAULT_DELIMITERS, escapeHl7, type EscapeOptions, type Hl7Delimiters } from './escape.js';
import type { AckType } from './message.js';

/** A component: plain text, or its subcomponents. */
export type Hl7Component = string | readonly string[];
/** One repetition of a field: plain text, or its components. */
export type Hl7Repetition = string | readonly Hl7Component[];
/** A field value: one repetition, several, or empty (undefined / ''). */
export type Hl7FieldValue = Hl7Repetition | { repetitions: readonly Hl7Repetition[] } | undefined;

/** A segment to build; `fields[0]` is field 1 (for MSH that would be MSH-3, but MSH comes from the header spec). */
export interface Hl7SegmentSpec {
  name: string;
  fields: readonly Hl7FieldValue[];
}

/** MSH content of a message we send. */
export interface Hl7HeaderSpec {
  sendingApplication: Hl7FieldValue;
  sendingFacility: Hl7FieldValue;
  receivingApplication: Hl7FieldValue;
  receivingFacility: Hl7FieldValue;
  messageType: { code: string; trigger: string; structure?: string };
  /** MSH-10: from a ControlIdGenerator, so the ACK's MSA-2 can be matched. */
  controlId: string;
  /** MSH-7 (default now). */
  timestamp?: Date;
  /** MSH-11 (default P). */
  processingId?: string;
  /** MSH-12 (default 2.5.1). */
  version?: string;
  acceptAckType?: AckType;
  applicationAckType?: AckType;
  /** MSH-18 as an HL7 table 0211 name (default UNICODE UTF-8: what we send is UTF-8 unless said otherwise). */
  charset?: string;
}

export interface BuildOptions extends EscapeOptions {
  delimiters?: Hl7Delimiters;
}

/** Builds the message text: segments ended by CR, values escaped, empty trailing fields left out. */
export function buildHl7Message(header: Hl7HeaderSpec, segments: readonly Hl7SegmentSpec[], options: BuildOptions = {}): string {
  const d = options.delimiters ?? DEFAULT_DELIMITERS;
  const type = [header.messageType.code, header.messageType.trigger, ...(header.messageType.structure === undefined ? [] : [header.messageType.structure])];
  const msh: Hl7FieldValue[] = [
    header.sendingApplication,
    header.sendingFacility,
    header.receivingApplication,
    header.receivingFacility,
    hl7Timestamp(header.timestamp ?? new Date()),
    undefined,
    type,
    header.controlId,
    header.processingId ?? 'P',
    header.version ?? '2.5.1',
    undefined,
    undefined,
    header.acceptAckType,
    header.applicationAckType,
    undefined,
    header.charset ?? 'UNICODE UTF-8',
  ];
  const mshText = `MSH${d.field}${d.component}${d.repetition}${d.escape}${d.subcomponent}${d.truncation ?? ''}${d.field}${encodeFields(msh, d, options)}`;
  const lines = [mshText, ...segments.map((s) => [s.name, encodeFields(s.fields, d, options)].filter((p) => p !== '').join(d.field))];
  return `${lines.join('\r')}\r`;
}

function encodeFields(fields: readonly Hl7FieldValue[], d: Hl7Delimiters, options: EscapeOptions): string {
  const encoded = fields.map((f) => encodeField(f, d, options));
  while (encoded.length > 0 && encoded[encoded.length - 1] === '') encoded.pop();
  return encoded.join(d.field);
}

function encodeField(value: Hl7FieldValue, d: Hl7Delimiters, options: EscapeOptions): string {
  if (value === undefined) return '';
  if (typeof value === 'object' && 'repetitions' in value) return value.repetitions.map((r) => encodeRepetition(r, d, options)).join(d.repetition);
  return encodeRepetition(value, d, options);
}

function encodeRepetition(value: Hl7Repetition, d: Hl7Delimiters, options: EscapeOptions): string {
  if (typeof value === 'string') return escapeHl7(value, d, options);
  return value
    .map((c) => (typeof c === 'string' ? escapeHl7(c, d, options) : c.map((s) => escapeHl7(s, d, options)).join(d.subcomponent)))
    .join(d.component);
}
