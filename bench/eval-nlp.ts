/**
 * eval:nlp — scores the report analyser against corpus/reports (OpenI reports with NegBio's gold labels,
 * the NegEx sentence set, CheXpert's labelled reports) and the Chinese set in test/fixtures/nlp, for the rules alone
 * and for model + rules. Prints precision / recall / F1 per finding, macro-F1 and negation accuracy.
 *
 * Splits: rules were tuned only on the dev parts (OpenI uid % 5 in {0, 1}, NegEx line % 5 == 0); the targets are judged on
 * the rest ("test"). The CheXpert sample (4 reports) and the Chinese set are test only.
 * Usage: npm run eval:nlp [-- --json out.json] [-- --split dev|test|all] [-- --limit N]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeReport, loadNerModel, type NerModel, type ReportFinding } from '../src/nlp/index.js';
import {
  OPENI_LABELS, chexpertLabels, csvRecords, evalGroup, isNormal, openiLabels, parseNegex, parseZhSet, prf,
  scoreMultilabel, zhTemplateMatchers, type MultilabelResult, type Prf,
} from '../src/nlp/evaluation.js';
import { CHEXPERT_OBSERVATIONS } from '../src/nlp/concepts.js';
import { CORPUS, REPO_ROOT } from '../test/helpers/fixtures.js';

const REPORTS = join(CORPUS, 'reports');
const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const SPLIT = arg('split') ?? 'test';
const LIMIT = Number(arg('limit') ?? Infinity);
const inSplit = (dev: boolean): boolean => SPLIT === 'all' || (SPLIT === 'dev') === dev;

type Variant = { name: string; ner: NerModel | null; useModelCues?: boolean };
const pct = (x: number): string => (x * 100).toFixed(1).padStart(5);
const row = (cells: Array<string | number>, widths: number[]): string =>
  cells.map((c, i) => String(c).padEnd(widths[i] ?? 8)).join(' ');

function printMultilabel(title: string, results: Array<[string, MultilabelResult]>, labels: string[]): void {
  console.log(`\n${title}`);
  const widths = [22, 8, ...results.flatMap(() => [7, 7, 7])];
  console.log(row(['label', 'support', ...results.flatMap(([n]) => [`P:${n}`, 'R', 'F1'])], widths));
  for (const l of labels) {
    const first = results[0]?.[1].perLabel[l] as Prf;
    console.log(row([l, first.support, ...results.flatMap(([, r]) => {
      const p = r.perLabel[l] as Prf;
      return [pct(p.precision), pct(p.recall), pct(p.f1)];
    })], widths));
  }
  console.log(row(['macro-F1 (support>0)', '', ...results.flatMap(([, r]) => ['', '', pct(r.macroF1)])], widths));
  console.log(row(['micro', '', ...results.flatMap(([, r]) => [pct(r.micro.precision), pct(r.micro.recall), pct(r.micro.f1)])], widths));
}

async function evalOpenI(variants: Variant[]): Promise<Record<string, unknown>> {
  const reports = csvRecords(readFileSync(join(REPORTS, 'openi/indiana_reports.csv'), 'utf8'));
  const gold = csvRecords(readFileSync(join(REPORTS, 'openi/openi_gld_std14.csv'), 'utf8'));
  const byUid = new Map(reports.map((r) => [r.uid as string, r]));
  const labels = Object.keys(OPENI_LABELS);
  const goldSets = new Map<string, Set<string>>();
  const goldNormal = new Map<string, Set<string>>();
  const texts = new Map<string, string>();
  for (const g of gold) {
    const uid = (g.filename as string).replace(/^CXR/u, '');
    const rep = byUid.get(uid);
    if (rep === undefined || !inSplit(Number(uid) % 5 < 2) || texts.size >= LIMIT) continue;
    // report text only: findings and impression (indication and comparison are not findings)
    texts.set(uid, [rep.findings, rep.impression].filter((t) => t && t.trim() !== '').join('\n\n'));
    goldSets.set(uid, new Set(labels.filter((l) => g[l] === '1')));
    goldNormal.set(uid, new Set(g.normal === '1' ? ['normal'] : []));
  }
  const results: Array<[string, MultilabelResult]> = [];
  const normals: Array<[string, MultilabelResult]> = [];
  for (const v of variants) {
    const pred = new Map<string, Set<string>>();
    const predNormal = new Map<string, Set<string>>();
    for (const [uid, text] of texts) {
      const { findings } = await analyzeReport(text, { ner: v.ner, useModelCues: v.useModelCues === true });
      pred.set(uid, openiLabels(findings));
      predNormal.set(uid, new Set(isNormal(findings) ? ['normal'] : []));
    }
    results.push([v.name, scoreMultilabel(goldSets, pred, labels)]);
    normals.push([v.name, scoreMultilabel(goldNormal, predNormal, ['normal'])]);
  }
  printMultilabel(`OpenI (${SPLIT} split, ${texts.size} reports; NegBio gold; positive = present; hedged = not positive)`, results, labels);
  printMultilabel('OpenI "normal" (no finding of any concept present or uncertain), not part of the macro', normals, ['normal']);
  return { reports: texts.size, results: Object.fromEntries(results), normal: Object.fromEntries(normals) };
}

async function evalNegex(variants: Variant[]): Promise<Record<string, unknown>> {
  const rows = parseNegex(readFileSync(join(REPORTS, 'negex/rsAnnotations-1-120-random.tsv'), 'utf8'))
    .filter((r) => inSplit(r.line % 5 === 0)).slice(0, LIMIT);
  const out: Record<string, unknown> = {};
  console.log(`\nNegEx sentences (${SPLIT} split, ${rows.length} rows; target = the annotated condition; negated = absent)`);
  for (const v of variants) {
    const c = { tp: 0, fp: 0, fn: 0 };
    let correct = 0;
    let notFound = 0;
    for (const r of rows) {
      const res = await analyzeReport(r.sentence, { ner: v.ner, useModelCues: v.useModelCues === true, targets: [r.condition] });
      const t = res.targets?.[0];
      if (t?.certainty === 'not-mentioned') notFound++;
      const negated = t?.certainty === 'absent';
      if (negated === r.negated) correct++;
      if (negated && r.negated) c.tp++;
      else if (negated) c.fp++;
      else if (r.negated) c.fn++;
    }
    const p = prf(c);
    console.log(`  ${v.name.padEnd(12)} accuracy ${pct(correct / rows.length)}%  negated: P ${pct(p.precision)} R ${pct(p.recall)} F1 ${pct(p.f1)}  (term not found in ${notFound})`);
    out[v.name] = { accuracy: correct / rows.length, negated: p, notFound };
  }
  return out;
}

async function evalChexpert(variants: Variant[]): Promise<Record<string, unknown>> {
  const reports = csvRecords(readFileSync(join(REPORTS, 'chexpert-labeler/labeled_reports.csv'), 'utf8'));
  console.log(`\nCheXpert labelled reports (${reports.length}; 1 positive, 0 negative, -1 uncertain, blank not mentioned)`);
  const out: Record<string, unknown> = {};
  for (const v of variants) {
    let agree = 0;
    let cells = 0;
    const counts = { tp: 0, fp: 0, fn: 0 };
    const misses: string[] = [];
    for (const [i, r] of reports.entries()) {
      const { findings } = await analyzeReport(r.Reports as string, { ner: v.ner, useModelCues: v.useModelCues === true });
      const pred = chexpertLabels(findings);
      for (const o of CHEXPERT_OBSERVATIONS) {
        const g = r[o] === '' || r[o] === undefined ? null : Math.round(Number(r[o]));
        const p = pred[o];
        cells++;
        if (g === p) agree++;
        else misses.push(`#${i + 1} ${o}: gold ${g ?? 'blank'} got ${p ?? 'blank'}`);
        if (g !== null && p !== null && g === p) counts.tp++;
        else {
          if (p !== null) counts.fp++;
          if (g !== null) counts.fn++;
        }
      }
    }
    const m = prf(counts);
    console.log(`  ${v.name.padEnd(12)} cell agreement ${agree}/${cells} (${pct(agree / cells)}%); mentioned-with-right-value P ${pct(m.precision)} R ${pct(m.recall)} F1 ${pct(m.f1)}`);
    for (const miss of misses) console.log(`      ${miss}`);
    out[v.name] = { agree, cells, mentions: m, misses };
  }
  return out;
}

async function evalChinese(variants: Variant[]): Promise<Record<string, unknown>> {
  const rows = parseZhSet(readFileSync(join(REPO_ROOT, 'test/fixtures/nlp/zh-labelled.tsv'), 'utf8')).slice(0, LIMIT);
  const templates = zhTemplateMatchers(readFileSync(join(REPO_ROOT, 'scripts/nlp/make_ner_data.py'), 'utf8'));
  const renderable = new Set(rows.filter((r) => templates.some((t) => t.test(r.text))).map((r) => r.id));
  const labels = [...new Set(rows.flatMap((r) => r.mentions.map((m) => evalGroup(m.concept))))].sort();
  const goldOf = (r: (typeof rows)[number]): Set<string> =>
    new Set(r.mentions.filter((m) => m.certainty !== 'absent').map((m) => evalGroup(m.concept)));
  const results: Array<[string, MultilabelResult]> = [];
  const extra: Record<string, unknown> = {};
  const lines: string[] = [];
  for (const v of variants) {
    const pred = new Map<string, Set<string>>();
    const negOk = new Map<string, boolean[]>();
    let certCorrect = 0;
    let latRight = 0;
    let latTotal = 0;
    let sizeRight = 0;
    let sizeTotal = 0;
    for (const r of rows) {
      const res = await analyzeReport(r.text, { ner: v.ner, useModelCues: v.useModelCues === true, targets: r.mentions.map((m) => m.term) });
      pred.set(r.id, new Set(res.findings.filter((f) => f.certainty !== 'absent').map((f) => evalGroup(f.concept))));
      negOk.set(r.id, r.mentions.map((m, k) => (res.targets?.[k]?.certainty === 'absent') === (m.certainty === 'absent')));
      r.mentions.forEach((m, k) => {
        if (res.targets?.[k]?.certainty === m.certainty) certCorrect++;
        const start = r.text.indexOf(m.term);
        const f = res.findings.find((x: ReportFinding) => evalGroup(x.concept) === evalGroup(m.concept) && x.span[0] < start + m.term.length && x.span[1] > start);
        if (m.laterality !== null) {
          latTotal++;
          if (f?.laterality === m.laterality) latRight++;
        }
        if (m.sizeMm !== null) {
          sizeTotal++;
          if (f?.sizeMm === m.sizeMm) sizeRight++;
        }
      });
    }
    const score = (keep: (id: string) => boolean): { macroF1: number; negation: number; mentions: number } => {
      const ids = rows.map((r) => r.id).filter(keep);
      const g = new Map(rows.filter((r) => keep(r.id)).map((r) => [r.id, goldOf(r)]));
      const oks = ids.flatMap((id) => negOk.get(id) ?? []);
      return { macroF1: scoreMultilabel(g, pred, labels).macroF1, negation: oks.filter(Boolean).length / oks.length, mentions: oks.length };
    };
    const all = score(() => true);
    const apart = score((id) => !renderable.has(id));
    results.push([v.name, scoreMultilabel(new Map(rows.map((r) => [r.id, goldOf(r)])), pred, labels)]);
    extra[v.name] = { negationAccuracy: all.negation, certaintyAccuracy: certCorrect / all.mentions, mentions: all.mentions, laterality: [latRight, latTotal], size: [sizeRight, sizeTotal], withoutTemplateLike: apart };
    lines.push(`  ${v.name.padEnd(12)} negation accuracy ${pct(all.negation)}% (${all.mentions} mentions); 3-way certainty ${pct(certCorrect / all.mentions)}%; laterality ${latRight}/${latTotal}; size ${sizeRight}/${sizeTotal}`);
    lines.push(`  ${''.padEnd(12)} without the ${renderable.size} sentences a training template could produce: macro-F1 ${pct(apart.macroF1)}, negation accuracy ${pct(apart.negation)}% (${apart.mentions} mentions)`);
  }
  printMultilabel(`Chinese set (${rows.length} sentences; positive = present or uncertain; lung-mass counted as mass)`, results, labels);
  for (const l of lines) console.log(l);
  return { sentences: rows.length, templateLike: [...renderable], results: Object.fromEntries(results), ...extra };
}

const model = await loadNerModel();
const variants: Variant[] = [
  { name: 'rules', ner: null },
  { name: 'model+rules', ner: model },
  { name: '+modelcues', ner: model, useModelCues: true },
];
const t0 = performance.now();
const summary = {
  split: SPLIT,
  openi: await evalOpenI(variants),
  negex: await evalNegex(variants),
  chexpert: await evalChexpert(variants),
  chinese: await evalChinese(variants),
  seconds: (performance.now() - t0) / 1000,
};
console.log(`\n(${summary.seconds.toFixed(1)} s; model ${model.modelDir}, alignment fallbacks ${model.alignmentFallbacks})`);
const json = arg('json');
if (json) writeFileSync(json, JSON.stringify(summary, null, 2));
await model.dispose();
