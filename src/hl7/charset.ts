/** HL7 character sets (MSH-18, table 0211): pick the decoder for a message's bytes, and encode text for the wire. */
import { isUtf8 } from 'node:buffer';

/**
 * HL7 table 0211 names → WHATWG encoding labels (Node's TextDecoder has them all with full ICU).
 * UTF-16/32 are left out on purpose: their bytes collide with MLLP's VT/FS framing.
 */
const TABLE_0211: Readonly<Record<string, string>> = {
  ASCII: 'windows-1252',
  'ISO IR6': 'windows-1252',
  '8859/1': 'iso-8859-1',
  'ISO IR100': 'iso-8859-1',
  '8859/2': 'iso-8859-2',
  '8859/3': 'iso-8859-3',
  '8859/4': 'iso-8859-4',
  '8859/5': 'iso-8859-5',
  '8859/6': 'iso-8859-6',
  '8859/7': 'iso-8859-7',
  '8859/8': 'iso-8859-8',
  '8859/9': 'iso-8859-9',
  '8859/15': 'iso-8859-15',
  'UNICODE UTF-8': 'utf-8',
  'ISO IR192': 'utf-8',
  'GB 18030-2000': 'gb18030',
  'KS X 1001': 'euc-kr',
  'BIG-5': 'big5',
  // JIS X 0201 (half-width katakana): Shift_JIS is its superset.
  'ISO IR14': 'shift_jis',
  // JIS X 0208 / 0212 reach HL7 as ISO-2022-JP escape sequences inside the text (HL7 2.x §2.15.9.18).
  'ISO IR87': 'iso-2022-jp',
  'ISO IR159': 'iso-2022-jp',
};

/** Encodings whose bytes are all 7-bit, so "valid UTF-8" says nothing about them. */
const SEVEN_BIT = new Set(['iso-2022-jp']);
const REFUSED = /^(utf-?16|utf-?32|unicode$|ucs-?2)/i;

/** The charset a message declares in MSH-18, resolved to a TextDecoder label. */
export type DeclaredCharset =
  | { kind: 'none' }
  | { kind: 'known'; declared: string; encoding: string }
  | { kind: 'unsupported'; declared: string };

/**
 * Resolves MSH-18 (already split into repetitions). The first repetition is the default set; later ones are
 * alternates switched in by escape sequences, so ISO IR87/IR159 anywhere means the text is ISO-2022-JP.
 */
export function resolveCharset(repetitions: readonly string[]): DeclaredCharset {
  const names = repetitions.map((r) => r.trim());
  const first = names.find((n) => n !== '');
  if (first === undefined) return { kind: 'none' };
  if (names.some((n) => n.toUpperCase() === 'ISO IR87' || n.toUpperCase() === 'ISO IR159')) {
    return { kind: 'known', declared: first, encoding: 'iso-2022-jp' };
  }
  const mapped = TABLE_0211[first.toUpperCase()];
  const encoding = mapped === undefined ? whatwgLabel(first) : new TextDecoder(mapped).encoding;
  return encoding === undefined ? { kind: 'unsupported', declared: first } : { kind: 'known', declared: first, encoding };
}

/** Also accept IANA names some senders put in MSH-18 (UTF-8, ISO-8859-1, Shift_JIS …). */
function whatwgLabel(name: string): string | undefined {
  if (REFUSED.test(name)) return undefined;
  try {
    return new TextDecoder(name).encoding;
  } catch {
    return undefined;
  }
}

export type DecodeResult =
  | { ok: true; text: string; encoding: string; assumed: boolean }
  | { ok: false; code: 'GW_ERR_HL7_CHARSET_UNSUPPORTED' | 'GW_ERR_HL7_UNDECODABLE'; detail: string };

/**
 * Decodes a message's bytes. Valid UTF-8 is read as UTF-8 whatever MSH-18 says (senders often declare 8859/1 and
 * send UTF-8); other bytes are read in the declared charset; with no MSH-18, as windows-1252 (HL7's default is
 * ASCII, and latin-1 is what 8-bit senders without MSH-18 mean in practice) with `assumed` set.
 */
export function decodeHl7Bytes(bytes: Buffer, declared: DeclaredCharset): DecodeResult {
  if (declared.kind === 'known' && SEVEN_BIT.has(declared.encoding)) return decodeStrict(bytes, declared.encoding, false);
  if (isUtf8(bytes)) return { ok: true, text: new TextDecoder('utf-8').decode(bytes), encoding: 'utf-8', assumed: false };
  if (declared.kind === 'known') return decodeStrict(bytes, declared.encoding, false);
  if (declared.kind === 'unsupported') {
    return { ok: false, code: 'GW_ERR_HL7_CHARSET_UNSUPPORTED', detail: `MSH-18 character set "${declared.declared}" is not supported and the bytes are not UTF-8` };
  }
  return decodeStrict(bytes, 'windows-1252', true);
}

function decodeStrict(bytes: Buffer, encoding: string, assumed: boolean): DecodeResult {
  try {
    return { ok: true, text: new TextDecoder(encoding, { fatal: true }).decode(bytes), encoding, assumed };
  } catch {
    return { ok: false, code: 'GW_ERR_HL7_UNDECODABLE', detail: `the message bytes are not valid ${encoding}` };
  }
}

/**
 * Decodes the bytes of \Xhh…\ escapes. The encodings are tried in order, all but the last strictly, so a UTF-8
 * message can still carry latin-1 hex escapes (`\XC7\` in dcm4che's SIU^S12).
 */
export function decodeEscapedBytes(bytes: Uint8Array, encodings: readonly string[]): string {
  for (let k = 0; k < encodings.length; k++) {
    const last = k === encodings.length - 1;
    try {
      return new TextDecoder(encodings[k], { fatal: !last }).decode(bytes);
    } catch {
      // try the next encoding
    }
  }
  return new TextDecoder('windows-1252').decode(bytes);
}

const singleByteTables = new Map<string, Map<string, number> | null>();

/** char → byte for single-byte encodings, built once from the decoder itself; null when not single-byte. */
function singleByteTable(encoding: string): Map<string, number> | null {
  const cached = singleByteTables.get(encoding);
  if (cached !== undefined) return cached;
  let table: Map<string, number> | null = null;
  try {
    const all = Uint8Array.from({ length: 256 }, (_, b) => b);
    const chars = [...new TextDecoder(encoding).decode(all)];
    if (chars.length === 256) {
      const map = new Map<string, number>();
      chars.forEach((c, b) => {
        // the first byte for a character wins; U+FFFD marks an unmapped byte, never a target
        if (c !== '\uFFFD' && !map.has(c)) map.set(c, b);
      });
      table = map;
    }
  } catch {
    table = null;
  }
  singleByteTables.set(encoding, table);
  return table;
}

/**
 * Encodes text for the wire: UTF-8, any single-byte charset, or pure ASCII in an ASCII-compatible one.
 * Undefined when a character has no encoding here (send UTF-8 and declare `UNICODE UTF-8` instead).
 */
export function encodeHl7Text(text: string, encoding: string): Buffer | undefined {
  if (encoding === 'utf-8') return Buffer.from(text, 'utf8');
  const table = singleByteTable(encoding);
  if (table !== null) {
    const out = Buffer.allocUnsafe(text.length);
    let n = 0;
    for (const c of text) {
      const b = table.get(c);
      if (b === undefined) return undefined;
      out[n++] = b;
    }
    return out.subarray(0, n);
  }
  // ESC (0x1B) would switch ISO-2022-JP out of ASCII; plain ASCII is the same bytes in every other multi-byte set.
  return /^[\x00-\x1a\x1c-\x7f]*$/.test(text) ? Buffer.from(text, 'latin1') : undefined;
}
