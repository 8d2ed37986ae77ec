/**
 * eval:nlp — scores the report analyser on dev and on the frozen test split side by side (issue 13): OpenI reports
 * with NegBio's gold labels, the NegEx sentence set, the Chinese set in test/fixtures/nlp (and CheXpert's 4 labelled
 * reports, which are neither). Prints F1 per class and macro-F1 with percentile-bootstrap 95 % intervals over reports
 * (seed 13, 2,000 resamples), NegEx certainty accuracy with its interval, and the gap dev − test.
 *
 * The frozen test split (src/nlp/frozen-split.ts, pinned by test/unit/nlp/frozen-split.test.ts) is reported in
 * aggregate only. `--errors` lists the dev split's misses one by one, for error analysis; it refuses the test split.
 * Usage: npm run eval:nlp [-- --json out.json] [-- --variants rules,model+rules,+modelcues] [-- --errors dev]
 *        [-- --limit N] [-- --model DIR]   (DIR: another NER model folder, e.g. a retrained one, to compare)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeReport, loadNerModel, type NerModel, type ReportFinding } from '../src/nlp/index.js';
import {
  OPENI_LABELS, chexpertLabels, csvRecords, evalGroup, openiLabels, parseNegex, parseZhSet, scoreMultilabel,
  zhTemplateMatchers, type MultilabelResult, type ZhRow,
} from '../src/nlp/evaluation.js';
import { multilabelIntervals, proportionInterval, type Interval, type MultilabelIntervals } from '../src/nlp/bootstrap.js';
import { splitOf, type SplitName } from '../src/nlp/frozen-split.js';
import { CHEXPERT_OBSERVATIONS } from '../src/nlp/concepts.js';
import { CORPUS, REPO_ROOT } from '../test/helpers/fixtures.js';

const REPORTS = join(CORPUS, 'reports');
const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const LIMIT = Number(arg('limit') ?? Infinity);
const ERRORS = arg('errors');
if (ERRORS !== undefined && ERRORS !== 'dev') {
  console.error(`--errors ${ERRORS}: refused. Only the dev split may be read item by item; the frozen test split is ` +
    'reported in aggregate only (issue 13, src/nlp/frozen-split.ts).');
  process.exit(2);
}
const SPLITS: readonly SplitName[] = ['dev', 'test'];
const BOOT = { resamples: 2000, seed: 13 } as const;

type Variant = { name: string; ner: NerModel | null; useModelCues?: boolean };
const pct = (x: number): string => (Number.isNaN(x) ? '  n/a' : (x * 100).toFixed(1).padStart(5));
const ci = (i: Interval): string => `[${pct(i.lo).trim()}, ${pct(i.hi).trim()}]`.padEnd(14);
const gap = (a: number, b: number): string =>
  Number.isNaN(a - b) ? 'n/a' : ((a - b) * 100 >= 0 ? '+' : '') + ((a - b) * 100).toFixed(1);
/** F1 of a class with no gold positive and no prediction is undefined, not 0. */
const f1Of = (p: { f1: number; tp: number; fp: number; fn: number }): number => (p.tp + p.fp + p.fn === 0 ? Number.NaN : p.f1);

interface SplitScore {
  items: number;
  result: MultilabelResult;
  intervals: MultilabelIntervals;
}

/** Scores and bootstraps one split of a multilabel set. */
function scoreSplit(gold: Map<string, Set<string>>, pred: Map<string, Set<string>>, labels: string[]): SplitScore {
  return { items: gold.size, result: scoreMultilabel(gold, pred, labels), intervals: multilabelIntervals(gold, pred, labels, BOOT) };
}

/** One table per variant: per class support, F1 and interval on dev and test, and the gap. */
function printSideBySide(title: string, variant: string, scores: Record<SplitName, SplitScore>, labels: string[]): void {
  const { dev, test } = scores;
  console.log(`\n${title} — ${variant}`);
  console.log(`${'class'.padEnd(22)} ${`dev (${dev.items})`.padEnd(8)} ${'F1'.padStart(5)} ${'95% CI'.padEnd(14)}  ` +
    `${`test (${test.items})`.padEnd(8)} ${'F1'.padStart(5)} ${'95% CI'.padEnd(14)}  dev−test`);
  const line = (name: string, ds: number | string, df: number, dci: Interval, ts: number | string, tf: number, tci: Interval): void =>
    console.log(`${name.padEnd(22)} ${String(ds).padStart(8)} ${pct(df)} ${ci(dci)}  ${String(ts).padStart(8)} ${pct(tf)} ${ci(tci)}  ${gap(df, tf)}`);
  for (const l of labels) {
    const d = dev.result.perLabel[l];
    const t = test.result.perLabel[l];
    if (d === undefined || t === undefined) continue;
    line(l, d.support, f1Of(d), dev.intervals.perLabel[l] as Interval, t.support, f1Of(t), test.intervals.perLabel[l] as Interval);
  }
  line('macro-F1 (support>0)', '', dev.result.macroF1, dev.intervals.macroF1, '', test.result.macroF1, test.intervals.macroF1);
  console.log(`${'micro P / R / F1'.padEnd(22)} ${''.padStart(8)} ${pct(dev.result.micro.precision)} / ${pct(dev.result.micro.recall)} / ${pct(dev.result.micro.f1)}` +
    `   ${pct(test.result.micro.precision)} / ${pct(test.result.micro.recall)} / ${pct(test.result.micro.f1)}`);
}

const summaryOf = (s: SplitScore): Record<string, unknown> => ({
  items: s.items, macroF1: s.result.macroF1, macroF1Ci: s.intervals.macroF1, micro: s.result.micro,
  perLabel: Object.fromEntries(Object.entries(s.result.perLabel).map(([l, p]) => [l, { ...p, ci: s.intervals.perLabel[l] }])),
});

async function evalOpenI(variants: Variant[]): Promise<Record<string, unknown>> {
  const reports = csvRecords(readFileSync(join(REPORTS, 'openi/indiana_reports.csv'), 'utf8'));
  const gold = csvRecords(readFileSync(join(REPORTS, 'openi/openi_gld_std14.csv'), 'utf8'));
  const byUid = new Map(reports.map((r) => [r.uid as string, r]));
  const labels = Object.keys(OPENI_LABELS);
  const goldSets = new Map<string, Set<string>>();
  const texts = new Map<string, string>();
  for (const g of gold) {
    const uid = (g.filename as string).replace(/^CXR/u, '');
    const rep = byUid.get(uid);
    if (rep === undefined || texts.size >= LIMIT) continue;
    // report text only: findings and impression (indication and comparison are not findings)
    texts.set(uid, [rep.findings, rep.impression].filter((t) => t && t.trim() !== '').join('\n\n'));
    goldSets.set(uid, new Set(labels.filter((l) => g[l] === '1')));
  }
  const out: Record<string, unknown> = {};
  for (const v of variants) {
    const pred = new Map<string, Set<string>>();
    for (const [uid, text] of texts) {
      const { findings } = await analyzeReport(text, { ner: v.ner, useModelCues: v.useModelCues === true });
      pred.set(uid, openiLabels(findings));
    }
    const scores = Object.fromEntries(SPLITS.map((s) => [s, scoreSplit(
      new Map([...goldSets].filter(([uid]) => splitOf('openi', uid) === s)), pred, labels)])) as Record<SplitName, SplitScore>;
    printSideBySide('OpenI, NegBio gold (positive = present, or hedged as the gold codes: versus, and/or, probable, likely)', v.name, scores, labels);
    out[v.name] = { dev: summaryOf(scores.dev), test: summaryOf(scores.test) };
    if (ERRORS === 'dev' && v.name === 'model+rules') {
      console.log('\nOpenI dev misses (uid: missed / extra labels; text):');
      for (const [uid, g] of goldSets) {
        if (splitOf('openi', uid) !== 'dev') continue;
        const p = pred.get(uid) as Set<string>;
        const fn = [...g].filter((l) => !p.has(l));
        const fp = [...p].filter((l) => !g.has(l));
        if (fn.length + fp.length > 0) console.log(`  ${uid}: -[${fn.join(',')}] +[${fp.join(',')}] ${JSON.stringify(texts.get(uid))}`);
      }
    }
  }
  return out;
}

async function evalNegex(variants: Variant[]): Promise<Record<string, unknown>> {
  const rows = parseNegex(readFileSync(join(REPORTS, 'negex/rsAnnotations-1-120-random.tsv'), 'utf8')).slice(0, LIMIT);
  const out: Record<string, unknown> = {};
  console.log('\nNegEx sentences (target = the annotated condition; certainty accuracy: negated = absent)');
  for (const v of variants) {
    const correct = new Map<number, boolean>();
    const misses: string[] = [];
    for (const r of rows) {
      const res = await analyzeReport(r.sentence, { ner: v.ner, useModelCues: v.useModelCues === true, targets: [r.condition] });
      const t = res.targets?.[0];
      const ok = (t?.certainty === 'absent') === r.negated;
      correct.set(r.line, ok);
      if (!ok && splitOf('negex', r.line) === 'dev') {
        misses.push(`  ${r.line} [${r.condition}] gold ${r.negated ? 'Negated' : 'Affirmed'} got ${t?.certainty}: ${r.sentence}`);
      }
    }
    const bySplit = Object.fromEntries(SPLITS.map((s) => {
      const oks = rows.filter((r) => splitOf('negex', r.line) === s).map((r) => correct.get(r.line) === true);
      return [s, { items: oks.length, accuracy: oks.filter(Boolean).length / oks.length, ci: proportionInterval(oks, BOOT) }];
    })) as Record<SplitName, { items: number; accuracy: number; ci: Interval }>;
    const { dev, test } = bySplit;
    console.log(`  ${v.name.padEnd(12)} dev (${dev.items}) ${pct(dev.accuracy)} ${ci(dev.ci)}  test (${test.items}) ${pct(test.accuracy)} ${ci(test.ci)}  dev−test ${gap(dev.accuracy, test.accuracy)}`);
    out[v.name] = bySplit;
    if (ERRORS === 'dev' && v.name === 'model+rules') for (const m of misses) console.log(m);
  }
  return out;
}

async function evalChexpert(variants: Variant[]): Promise<Record<string, unknown>> {
  const reports = csvRecords(readFileSync(join(REPORTS, 'chexpert-labeler/labeled_reports.csv'), 'utf8'));
  console.log(`\nCheXpert labelled reports (${reports.length}; in neither split; cell agreement over 14 observations)`);
  const out: Record<string, unknown> = {};
  for (const v of variants) {
    let agree = 0;
    let cells = 0;
    for (const r of reports) {
      const { findings } = await analyzeReport(r.Reports as string, { ner: v.ner, useModelCues: v.useModelCues === true });
      const pred = chexpertLabels(findings);
      for (const o of CHEXPERT_OBSERVATIONS) {
        const g = r[o] === '' || r[o] === undefined ? null : Math.round(Number(r[o]));
        cells++;
        if (g === pred[o]) agree++;
      }
    }
    console.log(`  ${v.name.padEnd(12)} ${agree}/${cells}`);
    out[v.name] = { agree, cells };
  }
  return out;
}

async function evalChinese(variants: Variant[]): Promise<Record<string, unknown>> {
  const rows = parseZhSet(readFileSync(join(REPO_ROOT, 'test/fixtures/nlp/zh-labelled.tsv'), 'utf8')).slice(0, LIMIT);
  const templates = zhTemplateMatchers(readFileSync(join(REPO_ROOT, 'scripts/nlp/make_ner_data.py'), 'utf8'));
  const renderable = rows.filter((r) => templates.some((t) => t.test(r.text))).length;
  const labels = [...new Set(rows.flatMap((r) => r.mentions.map((m) => evalGroup(m.concept))))].sort();
  const goldOf = (r: ZhRow): Set<string> =>
    new Set(r.mentions.filter((m) => m.certainty !== 'absent').map((m) => evalGroup(m.concept)));
  const out: Record<string, unknown> = {};
  console.log(`\nChinese set (${rows.length} sentences, ${renderable} of them a training template could produce; ` +
    'positive = present or uncertain; lung-mass counted as mass)');
  for (const v of variants) {
    const pred = new Map<string, Set<string>>();
    const negOk = new Map<string, boolean[]>();
    const certOk = new Map<string, boolean[]>();
    const misses: string[] = [];
    for (const r of rows) {
      const res = await analyzeReport(r.text, { ner: v.ner, useModelCues: v.useModelCues === true, targets: r.mentions.map((m) => m.term) });
      pred.set(r.id, new Set(res.findings.filter((f: ReportFinding) => f.certainty !== 'absent').map((f) => evalGroup(f.concept))));
      negOk.set(r.id, r.mentions.map((m, k) => (res.targets?.[k]?.certainty === 'absent') === (m.certainty === 'absent')));
      certOk.set(r.id, r.mentions.map((m, k) => res.targets?.[k]?.certainty === m.certainty));
      const g = goldOf(r);
      const p = pred.get(r.id) as Set<string>;
      if (splitOf('zh', r.id) === 'dev' && ([...g].some((l) => !p.has(l)) || [...p].some((l) => !g.has(l)) ||
        (certOk.get(r.id) as boolean[]).includes(false))) {
        misses.push(`  ${r.id} gold [${[...g].join(',')}] got [${[...p].join(',')}] ${r.text}`);
      }
    }
    const scores = Object.fromEntries(SPLITS.map((s) => [s, scoreSplit(
      new Map(rows.filter((r) => splitOf('zh', r.id) === s).map((r) => [r.id, goldOf(r)])), pred, labels)])) as Record<SplitName, SplitScore>;
    printSideBySide('Chinese set, per class (positive = present or uncertain)', v.name, scores, labels);
    const mentionAcc = (s: SplitName, m: Map<string, boolean[]>): { mentions: number; accuracy: number; ci: Interval } => {
      const oks = rows.filter((r) => splitOf('zh', r.id) === s).flatMap((r) => m.get(r.id) ?? []);
      return { mentions: oks.length, accuracy: oks.filter(Boolean).length / oks.length, ci: proportionInterval(oks, BOOT) };
    };
    const neg = { dev: mentionAcc('dev', negOk), test: mentionAcc('test', negOk) };
    const cert = { dev: mentionAcc('dev', certOk), test: mentionAcc('test', certOk) };
    console.log(`${'negation accuracy'.padEnd(22)} ${String(neg.dev.mentions).padStart(8)} ${pct(neg.dev.accuracy)} ${ci(neg.dev.ci)}  ` +
      `${String(neg.test.mentions).padStart(8)} ${pct(neg.test.accuracy)} ${ci(neg.test.ci)}  ${gap(neg.dev.accuracy, neg.test.accuracy)}`);
    console.log(`${'3-way certainty'.padEnd(22)} ${String(cert.dev.mentions).padStart(8)} ${pct(cert.dev.accuracy)} ${ci(cert.dev.ci)}  ` +
      `${String(cert.test.mentions).padStart(8)} ${pct(cert.test.accuracy)} ${ci(cert.test.ci)}  ${gap(cert.dev.accuracy, cert.test.accuracy)}`);
    out[v.name] = { dev: summaryOf(scores.dev), test: summaryOf(scores.test), negation: neg, certainty: cert };
    if (ERRORS === 'dev' && v.name === 'model+rules') for (const m of misses) console.log(m);
  }
  return out;
}

const modelDir = arg('model');
const model = await loadNerModel(modelDir === undefined ? {} : { modelDir });
const ALL: Variant[] = [
  { name: 'rules', ner: null },
  { name: 'model+rules', ner: model },
  { name: '+modelcues', ner: model, useModelCues: true },
];
const wanted = (arg('variants') ?? 'rules,model+rules').split(',');
const variants = ALL.filter((v) => wanted.includes(v.name));
const t0 = performance.now();
const summary = {
  bootstrap: BOOT,
  openi: await evalOpenI(variants),
  negex: await evalNegex(variants),
  chinese: await evalChinese(variants),
  chexpert: await evalChexpert(variants),
  seconds: (performance.now() - t0) / 1000,
};
console.log(`\n(${summary.seconds.toFixed(1)} s; model ${model.modelDir}, alignment fallbacks ${model.alignmentFallbacks}; ` +
  `intervals: percentile bootstrap over items, ${BOOT.resamples} resamples, seed ${BOOT.seed})`);
const json = arg('json');
if (json) writeFileSync(json, JSON.stringify(summary, null, 2));
await model.dispose();
