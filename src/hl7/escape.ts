/** HL7 v2 escape sequences (v2.5 §2.7): decode every sequence in received text, encode text we build. */
import { decodeEscapedBytes } from './charset.js';

/** The message's delimiters, from MSH-1 and MSH-2. */
export interface Hl7Delimiters {
  field: string;
  component: string;
  repetition: string;
  escape: string;
  subcomponent: string;
  /** v2.7 truncation character (5th char of MSH-2), when the message declares one. */
  truncation?: string;
}

export const DEFAULT_DELIMITERS: Readonly<Hl7Delimiters> = Object.freeze({ field: '|', component: '^', repetition: '~', escape: '\\', subcomponent: '&' });

export interface UnescapeOptions {
  /** Charsets to read \Xhh…\ bytes in, tried in order (see decodeEscapedBytes); default UTF-8 then windows-1252. */
  hexEncodings?: readonly string[];
}

const HEX = /^X((?:[0-9A-Fa-f]{2})+)$/;
const LINE_SKIP = /^\.sp\s*\+?(\d*)$/i;
// Formatting we cannot render in plain text: highlighting, indents, centering, fill modes, character-set switches.
const DROPPED = /^(H|N|\.(in|ti)\s*[+-]?\d*|\.(fi|nf|ce)|\.sk\s*[+-]?\d*|C[0-9A-Fa-f]{4}|M[0-9A-Fa-f]{4,6})$/;

/**
 * Decodes every escape in a leaf value (one component or subcomponent, already split). Separators come back as
 * characters, hex as text in the message charset, `\.br\`/`\.sp\` as newlines; highlighting and other formatting
 * commands are dropped. Unknown or unterminated sequences are kept as written, so nothing is silently lost.
 */
export function unescapeHl7(value: string, delimiters: Hl7Delimiters, options: UnescapeOptions = {}): string {
  const esc = delimiters.escape;
  if (esc === '' || !value.includes(esc)) return value;
  const hexEncodings = options.hexEncodings ?? ['utf-8', 'windows-1252'];
  let out = '';
  let hexBytes: number[] = [];
  const flushHex = (): void => {
    if (hexBytes.length === 0) return;
    out += decodeEscapedBytes(Uint8Array.from(hexBytes), hexEncodings);
    hexBytes = [];
  };
  let i = 0;
  while (i < value.length) {
    const start = value.indexOf(esc, i);
    const end = start < 0 ? -1 : value.indexOf(esc, start + 1);
    if (start < 0 || end < 0) {
      flushHex();
      out += value.slice(i);
      break;
    }
    if (start > i) {
      flushHex();
      out += value.slice(i, start);
    }
    const seq = value.slice(start + 1, end);
    // Consecutive \Xhh\ escapes are one byte string: a UTF-8 character may be split across two of them.
    const hex = HEX.exec(seq);
    if (hex?.[1] !== undefined) {
      for (let k = 0; k < hex[1].length; k += 2) hexBytes.push(Number.parseInt(hex[1].slice(k, k + 2), 16));
    } else {
      flushHex();
      out += decodeSequence(seq, delimiters) ?? value.slice(start, end + 1);
    }
    i = end + 1;
  }
  flushHex();
  return out;
}

/** The text for one non-hex sequence, or undefined when it is not one we know. */
function decodeSequence(seq: string, d: Hl7Delimiters): string | undefined {
  switch (seq) {
    case 'F':
      return d.field;
    case 'S':
      return d.component;
    case 'T':
      return d.subcomponent;
    case 'R':
      return d.repetition;
    case 'E':
      return d.escape;
    case 'P':
      return d.truncation;
  }
  if (/^\.br$/i.test(seq)) return '\n';
  const skip = LINE_SKIP.exec(seq);
  if (skip !== null) return '\n'.repeat(Math.min(Number(skip[1] || '1'), 100));
  if (DROPPED.test(seq)) return '';
  return undefined;
}

export interface EscapeOptions {
  /** How a line break is written: `\.br\` (FT formatting, widely understood; default) or `\X0D\\X0A\`. */
  lineBreak?: 'br' | 'hex';
}

/**
 * Escapes text for one leaf value of a message we build: delimiters and the escape character become \F\ \S\ \R\
 * \T\ \E\ (\P\), line breaks `\.br\`, other control characters \Xhh\ — so no output can break MLLP or HL7 framing.
 */
export function escapeHl7(text: string, delimiters: Hl7Delimiters, options: EscapeOptions = {}): string {
  const d = delimiters;
  const table = new Map<string, string>([
    [d.escape, 'E'],
    [d.field, 'F'],
    [d.component, 'S'],
    [d.repetition, 'R'],
    [d.subcomponent, 'T'],
  ]);
  if (d.truncation !== undefined) table.set(d.truncation, 'P');
  const lineBreak = options.lineBreak === 'hex' ? `${d.escape}X0D${d.escape}${d.escape}X0A${d.escape}` : `${d.escape}.br${d.escape}`;
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    const name = table.get(c);
    if (name !== undefined) {
      out += `${d.escape}${name}${d.escape}`;
    } else if (c === '\r' || c === '\n') {
      if (c === '\r' && text[i + 1] === '\n') i += 1;
      out += lineBreak;
    } else if (c.charCodeAt(0) < 0x20 && c !== '\t') {
      out += `${d.escape}X${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}${d.escape}`;
    } else if (c === '\x7f') {
      out += `${d.escape}X7F${d.escape}`;
    } else {
      out += c;
    }
  }
  return out;
}
