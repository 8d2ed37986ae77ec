// Anatomy phrases of chest reports (English and Chinese) with a canonical English name and their laterality.
import { lateralityOf } from './laterality.js';
import { Occupancy } from './sorted.js';
import type { Laterality } from './types.js';

/** An anatomy phrase found in text. */
export interface AnatomyMention {
  start: number;
  end: number;
  text: string;
  /** Canonical English name without side, e.g. "upper lobe", "lung base", "chest" (右肺上叶 → "upper lobe"). */
  name: string;
  laterality: Laterality | null;
}

type Namer = string | ((matched: string) => string);
const LEVEL_ZH: Record<string, string> = { 上: 'upper', 中: 'middle', 下: 'lower' };
const enLobe = (m: string): string => `${/upper|middle|lower/i.exec(m)?.[0].toLowerCase() ?? ''} lobe`.trim();
const zhLobe = (m: string): string => `${LEVEL_ZH[/[上中下]/u.exec(m)?.[0] ?? ''] ?? ''} lobe`.trim();
const zhZone = (m: string): string => `${LEVEL_ZH[/[上中下]/u.exec(m)?.[0] ?? ''] ?? ''} lung zone`.trim();

const SIDE_EN = '(?:(?:left|right|bilateral|both)\\s+)?';
// [pattern, canonical name]; longer phrases first so "right upper lobe" wins over "lobe"
const EN_TERMS: Array<[string, Namer]> = [
  ['(?:upper|middle|lower)\\s+lobes?', enLobe],
  ['lingula(?:r)?', 'lingula'],
  ['(?:lung\\s+)?bases?|basilar|bibasilar|bibasal|basal', 'lung base'],
  ['(?:lung\\s+)?ap(?:ex|ices)|apical|biapical', 'lung apex'],
  ['perihilar|hil(?:um|a|ar)', 'hilum'],
  ['retrocardiac', 'retrocardiac region'],
  ['cardiomediastinal\\s+silhouette|mediastin(?:um|al)', 'mediastinum'],
  ['cardiac\\s+silhouette|heart|cardiac', 'heart'],
  ['(?:thoracic\\s+)?aorta|aortic\\s+arch', 'aorta'],
  ['costophrenic\\s+angles?|costophrenic\\s+sulc(?:us|i)', 'costophrenic angle'],
  ['pleura(?:l\\s+spaces?)?', 'pleura'],
  ['hemidiaphragms?|diaphragm', 'diaphragm'],
  ['ribs?', 'rib'],
  ['(?:thoracic\\s+|lumbar\\s+|t-)?spine|vertebra(?:e|l\\s+bod(?:y|ies))?', 'spine'],
  ['clavicles?', 'clavicle'], ['sternum|sternal', 'sternum'], ['trachea|carina', 'trachea'],
  ['(?:hemi)?thorax|chest\\s+wall|chest', 'chest'],
  ['mid(?:dle)?\\s*lungs?|lung\\s+zones?|lungs?|pulmonary', 'lung'],
  ['upper\\s+abdomen|abdomen', 'abdomen'], ['liver', 'liver'], ['spleen', 'spleen'], ['shoulders?', 'shoulder'],
];
// Chinese: lobes and segments first; 左/右/双/两(侧) prefixes are optional and give the laterality
const ZH_TERMS: Array<[string, Namer]> = [
  ['(?:[左右双两]侧?)?(?:肺)?[上中下]叶(?:[^\\s，。；、]{0,4}?段)?', zhLobe],
  ['(?:[左右双两]侧?)?[上中下]肺(?:野)?', zhZone],
  ['(?:左肺)?舌段', 'lingula'],
  ['(?:[左右双两]侧?)?肺尖', 'lung apex'],
  ['(?:[左右双两]侧?)?肺门', 'hilum'],
  ['(?:[上前中后]?)纵隔', 'mediastinum'],
  ['心影|心脏|心缘', 'heart'],
  ['主动脉(?:弓)?', 'aorta'],
  ['(?:[左右双两]侧?)?肋膈角', 'costophrenic angle'],
  ['(?:[左右双两]侧?)?胸腔', 'pleural space'],
  ['(?:[左右双两]侧?)?胸膜', 'pleura'],
  ['(?:[左右双两]侧?)?膈(?:肌|面)?', 'diaphragm'],
  ['(?:[左右双两]侧?)?(?:第[\\d、,]+)?(?:前|后)?肋(?:骨)?', 'rib'],
  ['胸椎|腰椎|椎体', 'spine'], ['(?:[左右双两]侧?)?锁骨', 'clavicle'], ['胸骨', 'sternum'],
  ['气管|隆突', 'trachea'], ['(?:[左右双两]侧?)?支气管', 'bronchus'],
  ['胸部|胸壁|胸廓', 'chest'],
  ['(?:[左右双两]侧?)?肺(?:部|野|内)?', 'lung'],
  ['上腹部|腹部', 'abdomen'], ['肝脏?', 'liver'], ['脾脏?', 'spleen'],
];

function build(terms: Array<[string, Namer]>, prefix: string, boundary: boolean): Array<[RegExp, Namer]> {
  return terms.map(([p, name]) => [
    new RegExp(boundary ? `\\b${prefix}(?:${p})\\b` : `${prefix}(?:${p})`, 'giu'),
    name,
  ]);
}
const PATTERNS = [...build(EN_TERMS, SIDE_EN, true), ...build(ZH_TERMS, '', false)];

/** Every anatomy phrase in the text; overlapping matches keep the earliest-listed, longest one. */
export function findAnatomy(text: string): AnatomyMention[] {
  const found: AnatomyMention[] = [];
  // found spans never overlap: checking the match's own code units replaces a scan over all found so far
  const taken = new Occupancy(0, text.length);
  for (const [re, name] of PATTERNS) {
    for (const m of text.matchAll(re)) {
      const start = m.index ?? 0;
      const end = start + m[0].length;
      if (taken.overlaps(start, end)) continue;
      taken.take(start, end);
      const canonical = typeof name === 'string' ? name : name(m[0]);
      found.push({ start, end, text: m[0], name: canonical, laterality: lateralityOf(m[0]) });
    }
  }
  return found.sort((a, b) => a.start - b.start);
}

/** The canonical name of a phrase the NER model tagged ANATOMY, or the phrase itself when no pattern knows it. */
export function anatomyName(phrase: string): string {
  const m = findAnatomy(phrase)[0];
  return m === undefined ? phrase.trim().toLowerCase() : m.name;
}
