// Laterality words (left, right, bilateral; 左, 右, 双, 两) and where they apply to a finding.
import { firstIndex } from './sorted.js';
import type { Laterality } from './types.js';

/** A laterality cue found in text. */
export interface LateralityCue {
  start: number;
  end: number;
  laterality: Laterality;
}

// English: whole words; "bibasilar", "biapical", "both" and "bilaterally" mean both sides.
const EN = /\b(?:(bilateral(?:ly)?|bibasilar|bibasal|biapical|both)|(left|lt)|(right|rt))\b/giu;
// Chinese: 双/两 before a side-able structure; 左/右 anywhere (左侧, 右肺, 左下肺 …). 两 also means "two", so only
// count it before 侧, 肺, 下肺, 上肺, 中肺 or 肺门.
const ZH = /(双侧?|两侧|两(?=[上中下]?肺|肺门))|(左)|(右)/gu;

function toCue(m: RegExpExecArray | RegExpMatchArray): LateralityCue {
  const laterality: Laterality = m[1] !== undefined ? 'bilateral' : m[2] !== undefined ? 'left' : 'right';
  const start = m.index ?? 0;
  return { start, end: start + m[0].length, laterality };
}

/** Every laterality cue in the text, in order. */
export function findLateralityCues(text: string): LateralityCue[] {
  const out: LateralityCue[] = [];
  for (const re of [EN, ZH]) for (const m of text.matchAll(re)) out.push(toCue(m));
  return out.sort((a, b) => a.start - b.start);
}

// A match attempt of EN or ZH reads at most 12 characters from where it starts ("bilaterally" and the \b after it).
const MAX_LOOK = 16;

/**
 * The last side word of text.slice(0, cut), for many cuts of one text: what findLateralityCues would end with on
 * that prefix, without reading the whole prefix again for each cut (quadratic in a long Chinese sentence). Matches
 * of the whole text that start more than MAX_LOOK before the cut read nothing past it, so they are the prefix's
 * matches too; only the prefix's last MAX_LOOK characters are scanned again.
 */
export class LastSideBefore {
  private readonly res = [EN, ZH].map((re) => new RegExp(re.source, re.flags));
  private readonly whole: LateralityCue[][];

  constructor(private readonly text: string) {
    this.whole = this.res.map((re) => scan(re, text, 0));
  }

  at(cut: number): Laterality | null {
    let best: LateralityCue | undefined;
    this.res.forEach((re, k) => {
      const all = this.whole[k] as LateralityCue[];
      const safe = cut - MAX_LOOK;
      const kept = all[firstIndex(all, (c) => c.start >= safe) - 1];
      const tail = scan(re, this.text.slice(0, cut), Math.max(0, safe, kept?.end ?? 0));
      const last = tail[tail.length - 1] ?? kept;
      if (last !== undefined && (best === undefined || last.start > best.start)) best = last;
    });
    return best?.laterality ?? null;
  }
}

function scan(re: RegExp, text: string, from: number): LateralityCue[] {
  const out: LateralityCue[] = [];
  re.lastIndex = from;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) out.push(toCue(m));
  return out;
}

/** Laterality stated inside a phrase (an anatomy or finding phrase), or null; left and right together → bilateral. */
export function lateralityOf(phrase: string): Laterality | null {
  const cues = findLateralityCues(phrase);
  if (cues.length === 0) return null;
  const kinds = new Set(cues.map((c) => c.laterality));
  if (kinds.has('bilateral') || (kinds.has('left') && kinds.has('right'))) return 'bilateral';
  return (cues[0] as LateralityCue).laterality;
}
