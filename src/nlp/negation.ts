// ConText-style certainty: finds trigger cues in a sentence and decides whether a mention is present, absent or
// uncertain from the nearest cue whose scope covers it.
import { EN_TRIGGERS, ZH_TRIGGERS, type CueKind, type TriggerList } from './clinical-rules.js';
import type { Certainty } from './types.js';

/** A trigger found in a sentence; offsets are into the same string the mention offsets refer to. */
export interface Cue {
  kind: CueKind;
  start: number;
  end: number;
}

const HAN = /\p{Script=Han}/u;
/** English post-triggers look back at most this many words ("… pneumothorax is not seen"). */
const EN_POST_WINDOW_WORDS = 8;

function compile(list: TriggerList, words: boolean): Array<[RegExp, CueKind]> {
  return list.map(([p, kind]) => [
    new RegExp(words ? `(?<![\\p{L}\\p{N}])(?:${p})(?![\\p{L}\\p{N}])` : `(?:${p})`, 'giu'),
    kind,
  ]);
}
const EN_RULES = compile(EN_TRIGGERS, true);
const ZH_RULES = compile(ZH_TRIGGERS, false);

/** True when the text is (mostly) Chinese: it then uses the Chinese triggers and ，； as clause ends. */
export function isChinese(text: string): boolean {
  return HAN.test(text);
}

/**
 * All cues in a text (a sentence or a whole report); where two overlap the longer wins (so "cannot be excluded" is
 * not read as "not"). The Chinese triggers are all Han characters, so they only ever match in Chinese text.
 */
export function findCues(sentence: string, offset = 0): Cue[] {
  const rules = isChinese(sentence) ? [...ZH_RULES, ...EN_RULES] : EN_RULES;
  const all: Cue[] = [];
  for (const [re, kind] of rules) {
    for (const m of sentence.matchAll(re)) {
      if (m[0].length === 0) continue;
      const start = (m.index ?? 0) + offset;
      all.push({ kind, start, end: start + m[0].length });
    }
  }
  all.sort((a, b) => b.end - b.start - (a.end - a.start) || a.start - b.start);
  const kept: Cue[] = [];
  for (const c of all) if (!kept.some((k) => c.start < k.end && c.end > k.start)) kept.push(c);
  return kept.sort((a, b) => a.start - b.start);
}

/**
 * Clause boundaries inside a sentence: Chinese ，；： commas; in English only section headers ("CLINICAL HISTORY:"),
 * since English lists run across commas ("no effusion, pneumothorax, or consolidation").
 */
export function clauseBreaks(sentence: string, offset = 0): number[] {
  const re = isChinese(sentence) ? /[，,；;：:]/gu : /(?<![\p{L}\p{N}])[A-Z][A-Z()/ ]{2,}:/gu;
  const out: number[] = [];
  for (const m of sentence.matchAll(re)) out.push((m.index ?? 0) + offset);
  return out;
}

interface Scoped {
  cue: Cue;
  distance: number;
}

/** A certainty and the cue that decided it (null: no cue covers the mention, so it is present). */
export interface CertaintyDecision {
  certainty: Certainty;
  cue: Cue | null;
}

/**
 * Certainty of the mention [start, end) given the cues and clause breaks of its sentence, whose span is
 * [sentenceStart, sentenceEnd). The nearest covering cue decides; an uncertainty cue that is itself inside a
 * negation's scope counts as negated ("no findings to suggest pneumonia" → absent).
 */
export function certaintyOf(
  start: number,
  end: number,
  cues: readonly Cue[],
  breaks: readonly number[],
  sentence: { start: number; end: number; text: string },
): CertaintyDecision {
  const limits = (at: number): [number, number] => {
    let lo = sentence.start;
    let hi = sentence.end;
    for (const b of breaks) {
      if (b < at && b >= lo) lo = b;
      if (b >= at && b < hi) hi = b;
    }
    for (const c of cues) {
      if (c.kind !== 'stop') continue;
      if (c.end <= at && c.end > lo) lo = c.end;
      if (c.start >= at && c.start < hi) hi = c.start;
    }
    return [lo, hi];
  };
  const [lo, hi] = limits(start);
  const covering = (from: number, to: number, kinds: readonly CueKind[]): Scoped[] => {
    const out: Scoped[] = [];
    for (const c of cues) {
      if (!kinds.includes(c.kind) || c.end <= lo || c.start >= hi) continue;
      if (c.start < to && c.end > from) continue; // a cue inside the mention itself
      const pre = c.kind.endsWith('-pre') || c.kind.endsWith('-both');
      const post = c.kind.endsWith('-post') || c.kind.endsWith('-both');
      if (pre && c.end <= from) out.push({ cue: c, distance: from - c.end });
      else if (post && c.start >= to && withinPostWindow(c, to, sentence)) out.push({ cue: c, distance: c.start - to });
    }
    return out.sort((a, b) => a.distance - b.distance);
  };
  const all = covering(start, end, ['neg-pre', 'neg-post', 'neg-both', 'unc-pre', 'unc-post', 'unc-both']);
  // "possible infiltrate versus atelectasis": a hedge word says more than the "versus" between alternatives
  const hedge = all.find((c) => c.cue.kind === 'unc-pre' || c.cue.kind === 'unc-post');
  const best = all[0]?.cue.kind === 'unc-both' && hedge !== undefined ? hedge : all[0];
  if (best === undefined) return { certainty: 'present', cue: null };
  if (best.cue.kind.startsWith('neg')) return { certainty: 'absent', cue: best.cue };
  // the hedge itself negated: "no … to suggest", "没有 … 可疑"
  const negation = best.cue.end <= start ? covering(best.cue.start, best.cue.end, ['neg-pre'])[0] : undefined;
  return negation ? { certainty: 'absent', cue: negation.cue } : { certainty: 'uncertain', cue: best.cue };
}

function withinPostWindow(cue: Cue, mentionEnd: number, sentence: { start: number; text: string }): boolean {
  if (isChinese(sentence.text)) return true; // bounded by the clause
  const between = sentence.text.slice(mentionEnd - sentence.start, cue.start - sentence.start);
  return between.split(/\s+/u).filter((w) => w.length > 0).length <= EN_POST_WINDOW_WORDS;
}
