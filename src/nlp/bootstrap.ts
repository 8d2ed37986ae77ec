// Percentile bootstrap confidence intervals (Efron & Tibshirani 1993, ch. 13) over the items of an evaluation set
// (reports, sentences), with a seeded generator so that every run prints the same interval for the same predictions.
import type { Counts } from './evaluation.js';
import { prf } from './evaluation.js';

/** A two-sided interval; NaN bounds mean no resample gave the statistic a value. */
export interface Interval {
  lo: number;
  hi: number;
}

export interface BootstrapOptions {
  /** Resamples drawn (default 2,000). */
  resamples?: number;
  /** Seed of the generator (default 13). */
  seed?: number;
  /** Coverage (default 0.95). */
  level?: number;
}

/** mulberry32: a small, fast 32-bit generator; good enough to draw resample indices, and reproducible. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The q-quantile (0..1) of ascending values, linear between order statistics (numpy's default, Hyndman–Fan 7). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const a = sorted[lo] as number;
  const b = sorted[Math.min(lo + 1, sorted.length - 1)] as number;
  return a + (h - lo) * (b - a);
}

/**
 * Percentile bootstrap of several statistics of one set of n items. Each resample draws n items with replacement and
 * hands `statistics` the number of times each item was drawn (a weight vector), which is cheaper than building the
 * resample; it returns one value per statistic, NaN where the statistic is undefined on that resample (those
 * resamples are left out of that statistic's interval).
 */
export function bootstrapIntervals(
  n: number,
  statistics: (weights: Uint32Array) => readonly number[],
  options: BootstrapOptions = {},
): Interval[] {
  const resamples = options.resamples ?? 2000;
  const alpha = 1 - (options.level ?? 0.95);
  const random = seededRandom(options.seed ?? 13);
  const weights = new Uint32Array(n);
  const draws: number[][] = [];
  for (let r = 0; r < resamples; r++) {
    weights.fill(0);
    for (let i = 0; i < n; i++) (weights[Math.floor(random() * n)] as number)++;
    statistics(weights).forEach((v, k) => {
      if (Number.isNaN(v)) return;
      (draws[k] ??= []).push(v);
    });
  }
  const width = statistics(new Uint32Array(n).fill(1)).length;
  return Array.from({ length: width }, (_, k) => {
    const sorted = (draws[k] ?? []).sort((x, y) => x - y);
    return { lo: quantile(sorted, alpha / 2), hi: quantile(sorted, 1 - alpha / 2) };
  });
}

/** Interval of a proportion (accuracy) over items that are each right or wrong. */
export function proportionInterval(correct: readonly boolean[], options?: BootstrapOptions): Interval {
  const n = correct.length;
  const [interval] = bootstrapIntervals(n, (w) => {
    let right = 0;
    for (let i = 0; i < n; i++) if (correct[i] === true) right += w[i] as number;
    return [n === 0 ? Number.NaN : right / n];
  }, options);
  return interval as Interval;
}

/** Per-label and macro-F1 intervals of a multilabel result. */
export interface MultilabelIntervals {
  perLabel: Record<string, Interval>;
  macroF1: Interval;
}

/**
 * Intervals for per-label F1 and for macro-F1 over documents. In a resample a label's F1 is undefined when the label
 * has neither a gold positive nor a prediction; macro-F1 averages the labels with a gold positive in that resample,
 * as scoreMultilabel does on the full set.
 */
export function multilabelIntervals(
  gold: ReadonlyMap<string, ReadonlySet<string>>,
  predicted: ReadonlyMap<string, ReadonlySet<string>>,
  labels: readonly string[],
  options?: BootstrapOptions,
): MultilabelIntervals {
  const docs = [...gold.keys()];
  // per document and label: 0 nothing, 1 tp, 2 fp, 3 fn
  const outcome = docs.map((d) => {
    const g = gold.get(d) as ReadonlySet<string>;
    const p = predicted.get(d) ?? new Set<string>();
    return labels.map((l) => (g.has(l) && p.has(l) ? 1 : p.has(l) ? 2 : g.has(l) ? 3 : 0));
  });
  const intervals = bootstrapIntervals(docs.length, (w) => {
    const counts: Counts[] = labels.map(() => ({ tp: 0, fp: 0, fn: 0 }));
    outcome.forEach((row, i) => {
      const weight = w[i] as number;
      if (weight === 0) return;
      row.forEach((o, k) => {
        const c = counts[k] as Counts;
        if (o === 1) c.tp += weight;
        else if (o === 2) c.fp += weight;
        else if (o === 3) c.fn += weight;
      });
    });
    const f1s = counts.map((c) => (c.tp + c.fp + c.fn === 0 ? Number.NaN : prf(c).f1));
    const supported = counts.map((c, k) => (c.tp + c.fn > 0 ? f1s[k] as number : Number.NaN)).filter((f) => !Number.isNaN(f));
    const macro = supported.length === 0 ? Number.NaN : supported.reduce((s, f) => s + f, 0) / supported.length;
    return [...f1s, macro];
  }, options);
  return {
    perLabel: Object.fromEntries(labels.map((l, k) => [l, intervals[k] as Interval])),
    macroF1: intervals[labels.length] as Interval,
  };
}
