// Splits report text into sentences with offsets (English and Chinese punctuation, list numbers, blank lines).

/** A sentence: [start, end) into the original text. */
export interface Sentence {
  start: number;
  end: number;
  text: string;
}

// A sentence ends at . ! ? ; 。 ！ ？ ； — but not inside a number ("1.2 cm"), after a single capital letter or a
// common abbreviation ("Dr.", "p.m.", "e.g."), or before a lower-case continuation ("vs. prior").
const ABBREVIATIONS = new Set(['dr', 'mr', 'mrs', 'ms', 'vs', 'e.g', 'i.e', 'a.m', 'p.m', 'approx', 'fig', 'st']);
const END = /[.!?;。！？；]+|\n\s*\n|\n(?=\s*(?:\d{1,2}[.)]\s|[-•*]\s|[A-Z][A-Z ]{2,}:))/gu;

/** Splits text into trimmed, non-empty sentences. */
export function splitSentences(text: string): Sentence[] {
  const out: Sentence[] = [];
  let start = 0;
  const push = (end: number): void => {
    let s = start;
    let e = end;
    while (s < e && /\s/u.test(text[s] as string)) s++;
    while (e > s && /\s/u.test(text[e - 1] as string)) e--;
    if (e > s) out.push({ start: s, end: e, text: text.slice(s, e) });
    start = end;
  };
  for (const m of text.matchAll(END)) {
    const at = m.index ?? 0;
    const mark = m[0];
    const after = text[at + mark.length] ?? '';
    if (mark === '.') {
      const before = text[at - 1] ?? '';
      if (/\d/u.test(before) && /\d/u.test(after)) continue; // decimal number
      const word = /([A-Za-z.]+)$/u.exec(text.slice(Math.max(0, at - 8), at))?.[1]?.toLowerCase() ?? '';
      if (ABBREVIATIONS.has(word) && /\s/u.test(after)) continue;
      if (/^[a-z]$/u.test(word) && word !== '' && /[a-z]/u.test(text[at + 1] ?? '')) continue; // "p.m"
      if (after !== '' && !/[\s"')\]\p{Script=Han}]/u.test(after)) continue; // "3.5cm", "a.b"
    }
    push(at + mark.length);
  }
  push(text.length);
  return out;
}
