// BERT word split with character offsets (BertNormalizer + BertPreTokenizer), mirroring models/report-ner/bert_text.py.

/** A BERT "word": what the pre-tokenizer hands to WordPiece, normalised, with its span in the original text. */
export interface BertWord {
  /** Lower-cased, accent-stripped form, exactly as WordPiece sees it. */
  norm: string;
  start: number;
  end: number;
  /** Original-text offset of each character of `norm` (accent stripping may drop marks, never adds). */
  offsets: number[];
}

// Ranges BertNormalizer treats as Chinese characters: each becomes a word of its own (handle_chinese_chars).
function isCjk(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0x3400 && cp <= 0x4dbf) || (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) || (cp >= 0x2b740 && cp <= 0x2b81f) || (cp >= 0x2b820 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}

const PUNCT = /\p{P}/u;
const CONTROL = /[\p{Cc}\p{Cf}]/u;
const WHITESPACE = /\s/u;
const MARK = /\p{Mn}/gu;

function isPunct(ch: string, cp: number): boolean {
  // ASCII symbol ranges count as punctuation for BERT even where Unicode says "symbol" ($, +, <, =, >, ^, `, |, ~)
  return (cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126) ||
    PUNCT.test(ch);
}

/** Normalised form of one code point: '' if BERT drops it, ' ' for whitespace. */
function normalizeChar(ch: string, cp: number): string {
  // same order as the Rust/Python normalizer: tab, newline and CR are spaces; other control characters are dropped
  if (ch === '\t' || ch === '\n' || ch === '\r') return ' ';
  if (cp === 0 || cp === 0xfffd || CONTROL.test(ch)) return '';
  if (WHITESPACE.test(ch)) return ' ';
  return ch.toLowerCase().normalize('NFD').replace(MARK, '');
}

/** Splits text into BERT words with their character spans. */
export function bertWords(text: string): BertWord[] {
  const out: BertWord[] = [];
  let cur: BertWord | null = null;
  const flush = (): void => {
    if (cur !== null && cur.norm.length > 0) out.push(cur);
    cur = null;
  };
  for (let i = 0; i < text.length; ) {
    const cp = text.codePointAt(i) as number;
    const ch = String.fromCodePoint(cp);
    const width = ch.length;
    const n = normalizeChar(ch, cp);
    if (n === ' ') flush();
    else if (n !== '') {
      if (isCjk(cp) || isPunct(ch, cp)) {
        flush();
        out.push({ norm: n, start: i, end: i + width, offsets: Array.from(n, () => i) });
      } else {
        if (cur === null) cur = { norm: '', start: i, end: i + width, offsets: [] };
        const w: BertWord = cur;
        w.norm += n;
        for (let k = 0; k < n.length; k++) w.offsets.push(i);
        w.end = i + width;
      }
    }
    i += width;
  }
  flush();
  return out;
}
