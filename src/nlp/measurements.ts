// Size measurements in report text (mm, cm, 毫米, 厘米; "4 x 6 mm", "3.5×4.2cm"), normalised to millimetres.

/** One measurement as written, with every dimension in mm. */
export interface Measurement {
  start: number;
  end: number;
  text: string;
  /** Each dimension in millimetres, in the order written. */
  dimensionsMm: number[];
  /** The largest dimension in millimetres: the size a finding is reported by. */
  largestMm: number;
}

const UNIT_MM: Record<string, number> = {
  mm: 1, millimeter: 1, millimeters: 1, millimetre: 1, millimetres: 1, 毫米: 1,
  cm: 10, centimeter: 10, centimeters: 10, centimetre: 10, centimetres: 10, 厘米: 10,
};
const UNIT = '(mm|cm|millimet(?:er|re)s?|centimet(?:er|re)s?|毫米|厘米)';
const NUM = '(\\d+(?:\\.\\d+)?)';
// a dimension: a number with an optional unit of its own ("6mm×5mm"); dimensions joined by x, ×, *, by
const DIM = `${NUM}\\s*${UNIT}?`;
const SEP = '\\s*(?:x|×|\\*|by|乘)\\s*';
// (?<![\d.]) keeps "1.2" whole; the unit must not run on into a word ("5 cms" is fine, "5 mmHg" is not a size)
const MEASUREMENT = new RegExp(`(?<![\\d.\\w])${DIM}(?:${SEP}${DIM}){0,2}(?![a-zA-Z])`, 'giu');

/** Finds every measurement with a length unit; bare numbers, percentages and other units are ignored. */
export function findMeasurements(text: string): Measurement[] {
  const out: Measurement[] = [];
  for (const m of text.matchAll(MEASUREMENT)) {
    const raw = m[0];
    const parts = [...raw.matchAll(new RegExp(DIM, 'giu'))];
    const last = parts[parts.length - 1];
    const lastUnit = last?.[2]?.toLowerCase();
    if (lastUnit === undefined) continue; // "12 x 3" without any unit is not a size
    const dims: number[] = [];
    for (const p of parts) {
      const unit = (p[2] ?? lastUnit).toLowerCase();
      const factor = UNIT_MM[unit];
      if (factor === undefined) continue;
      // cm values are rounded to 0.1 mm so 1.2 cm reads 12, not 12.000000000000002
      dims.push(Math.round(Number(p[1]) * factor * 10) / 10);
    }
    if (dims.length === 0) continue;
    const start = m.index ?? 0;
    const text0 = raw.trimEnd();
    out.push({ start, end: start + text0.length, text: text0, dimensionsMm: dims, largestMm: dims.reduce((a, b) => Math.max(a, b)) });
  }
  return out;
}
