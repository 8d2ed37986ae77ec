// The frozen test split of the report NLP evaluation (issue 13). The rule below was written and committed before any
// report or sentence it selects was read, and it is never to be tuned against: `bench/eval-nlp.ts` prints only
// aggregate figures for it and refuses per-item error listings. test/unit/nlp/frozen-split.test.ts pins both the rule
// (it recomputes the manifest) and the manifest (its sha256), so neither can change unnoticed.
//
// Rule: an item is frozen-test when sha256("<corpus>:<id>"), read as one unsigned big-endian integer, is < 3 mod 10,
// among the items of the part that was the test part before issue 13:
//   - OpenI: reports with uid % 5 >= 2 (the former dev part was uid % 5 in {0, 1}); key "openi:<uid>";
//   - NegEx: rows with line % 5 != 0 (the former dev part was line % 5 == 0); key "negex:<line>";
//   - Chinese set: all 220 sentences (it had no split); key "zh:<id>".
// Everything else is dev: all error analysis and tuning happen there.
import { createHash } from 'node:crypto';

export type SplitCorpus = 'openi' | 'negex' | 'zh';
export type SplitName = 'dev' | 'test';

/** The rule in words, stored in the manifest so that a changed rule changes the manifest's hash. */
export const FROZEN_SPLIT_RULE =
  'test iff BigInt("0x" + sha256("<corpus>:<id>")) % 10n < 3n, among: openi uid % 5 >= 2; negex line % 5 != 0; zh all';

const hashMod10 = (key: string): number =>
  Number(BigInt(`0x${createHash('sha256').update(key, 'utf8').digest('hex')}`) % 10n);

/** Whether an item (OpenI uid, NegEx line number, Chinese sentence id) is in the frozen test split. */
export function isFrozenTest(corpus: SplitCorpus, id: string | number): boolean {
  if (corpus === 'openi' && Number(id) % 5 < 2) return false;
  if (corpus === 'negex' && Number(id) % 5 === 0) return false;
  return hashMod10(`${corpus}:${id}`) < 3;
}

/** The split an item belongs to. */
export function splitOf(corpus: SplitCorpus, id: string | number): SplitName {
  return isFrozenTest(corpus, id) ? 'test' : 'dev';
}

/** The committed list of frozen-test ids (test/fixtures/nlp/frozen-test-split.json). */
export interface FrozenManifest {
  rule: string;
  openi: string[];
  negex: number[];
  zh: string[];
}

/** The manifest the rule gives for these corpus ids (ids only: no text of any item). */
export function frozenManifest(ids: { openi: readonly string[]; negex: readonly number[]; zh: readonly string[] }): FrozenManifest {
  return {
    rule: FROZEN_SPLIT_RULE,
    openi: ids.openi.filter((u) => isFrozenTest('openi', u)).sort((a, b) => Number(a) - Number(b)),
    negex: ids.negex.filter((l) => isFrozenTest('negex', l)).sort((a, b) => a - b),
    zh: ids.zh.filter((z) => isFrozenTest('zh', z)).sort(),
  };
}
