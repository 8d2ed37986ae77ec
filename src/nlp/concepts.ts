// The coded finding concepts (CheXpert's 14 observations, ChestX-ray14's extra ones, nodule, mass, lung cancer)
// with their SNOMED CT / RadLex codes, where each code was checked, and English and Chinese synonyms.
import type { CodeScheme } from './types.js';

/** CheXpert's 14 observations (stanfordmlgroup/chexpert-labeler), used to map concepts for evaluation. */
export const CHEXPERT_OBSERVATIONS = [
  'No Finding', 'Enlarged Cardiomediastinum', 'Cardiomegaly', 'Lung Lesion', 'Lung Opacity', 'Edema',
  'Consolidation', 'Pneumonia', 'Atelectasis', 'Pneumothorax', 'Pleural Effusion', 'Pleural Other', 'Fracture',
  'Support Devices',
] as const;
export type ChexpertObservation = (typeof CHEXPERT_OBSERVATIONS)[number];

/** A coded concept and the words that name it. Synonyms are regular-expression fragments (case-insensitive). */
export interface Concept {
  id: string;
  label: string;
  labelZh: string;
  code: string;
  scheme: CodeScheme;
  /** Where the code was checked, or why it is a local code. */
  source: string;
  /** A RadLex id for the same idea, where one was checked. */
  radlex?: string;
  chexpert: ChexpertObservation | null;
  en: string[];
  zh: string[];
  /** Phrases that state the finding is absent without a negation word ("heart size is normal", 心影不大). */
  normalEn?: string[];
  normalZh?: string[];
}

// Sources, checked with the project's search tool (public code and pages; see docs/nlp.md § Codes):
const MII = 'MII Onko ConceptMap mii-cm-onko-operation-komplikation-sct (FSN as display)';
const LDCT = 'LDCT incidental-finding FHIR ValueSet (FSN as display)';
const OMOP = 'OHDSI/OMOP concept set YAML (SNOMED concept_code with concept_name)';

/** Every concept the analyser codes. Order matters only for display. */
export const CONCEPTS: readonly Concept[] = [
  {
    id: 'no-finding', label: 'No finding', labelZh: '未见异常', code: 'pag-no-finding', scheme: 'LOCAL',
    source: 'local: no SNOMED CT code for "no finding" could be verified; derived per report, never from a phrase',
    chexpert: 'No Finding', en: [], zh: [],
  },
  {
    id: 'enlarged-cardiomediastinum', label: 'Enlarged cardiomediastinum', labelZh: '纵隔增宽',
    code: 'pag-enlarged-cardiomediastinum', scheme: 'LOCAL',
    source: 'local: candidate SNOMED CT codes found in public lists disagree; none could be verified',
    chexpert: 'Enlarged Cardiomediastinum',
    en: ['widen(?:ed|ing)\\s+(?:of\\s+the\\s+)?(?:superior\\s+)?mediastin(?:um|al)', 'mediastinal\\s+widening',
      'enlarged\\s+cardiomediastinal\\s+(?:silhouette|contours?)',
      'cardiomediastinal\\s+(?:silhouette|contours?)\\s+(?:is|are)\\s+(?:\\w+\\s+)?(?:enlarged|widened|prominent)',
      'mediastinum\\s+(?:is\\s+)?(?:\\w+\\s+)?widened'],
    zh: ['(?:上)?纵隔(?:影)?增宽'],
  },
  {
    id: 'cardiomegaly', label: 'Cardiomegaly', labelZh: '心脏增大', code: '8186001', scheme: 'SCT',
    source: `${OMOP} (OMOP 314658 "Cardiomegaly"); the same code in 8 further public code lists`,
    chexpert: 'Cardiomegaly',
    en: ['cardiomegaly', 'megalocardia', 'cardiac\\s+enlargement',
      '(?:heart|cardiac\\s+silhouette|heart\\s+size)\\s+(?:is\\s+)?borderline(?:\\s+(?:in\\s+size|enlarged))?',
      'borderline\\s+(?:heart|cardiac)\\s+(?:size|silhouette|enlargement)', 'enlarged\\s+(?:cardiac\\s+silhouette|heart)',
      'enlargement\\s+of\\s+the\\s+(?:cardiac\\s+silhouette|heart)',
      '(?:heart|cardiac\\s+(?:silhouette|shadow|size)|heart\\s+(?:size|shadow))\\s+(?:is\\s+|are\\s+|appears\\s+|remains\\s+)?(?:(?!not\\b|no\\b)\\w+\\s+){0,2}?(?:enlarged|large|increased)'],
    zh: ['(?:心脏|心影|全心)(?:稍|略|轻度|明显|普遍)?(?:增大|扩大)', '心影饱满', '心(?:脏|影)(?:稍|略)大'],
    normalEn: ['(?:heart|cardiac\\s+(?:silhouette|size|shadow)|heart\\s+size)\\s+(?:is\\s+|are\\s+|appears\\s+|remains\\s+)?(?:\\w+\\s+)?(?:normal|within\\s+normal\\s+limits|upper\\s+limits\\s+of\\s+normal|unremarkable)',
      'normal\\s+(?:heart|cardiac)\\s+(?:size|silhouette)', 'heart\\s+(?:is\\s+)?normal\\s+in\\s+size',
      '(?:heart|cardiac\\s+silhouette|heart\\s+size)\\s+(?:is\\s+)?not\\s+(?:\\w+\\s+)?enlarged'],
    normalZh: ['心(?:影|脏)不大', '心(?:影|脏)大小(?:、形态)?(?:正常|未见异常)', '心(?:影|脏)(?:形态)?大小在正常范围'],
  },
  {
    id: 'lung-opacity', label: 'Lung opacity', labelZh: '肺部阴影', code: 'pag-lung-opacity', scheme: 'LOCAL',
    source: 'local: no SNOMED CT code for a radiographic lung opacity could be verified',
    chexpert: 'Lung Opacity',
    en: ['opacit(?:y|ies)', 'opacification', 'air\\s*-?space\\s+(?:disease|opacit(?:y|ies)|process)',
      'densit(?:y|ies)', 'hazy\\s+(?:opacit(?:y|ies)|densit(?:y|ies))', 'haziness',
      'ground\\s*-?\\s*glass(?:\\s+(?:opacit(?:y|ies)|attenuation|changes?))?'],
    zh: ['(?:斑片状?|小?片状|条片状?|条状|蝶翼状|斑点状)?(?:模糊|致密|高密度|密度增高|磨玻璃(?:密度)?)影',
      '(?:斑片状?|小?片状|条片状?)影', '阴影'],
  },
  {
    id: 'lung-lesion', label: 'Lung lesion', labelZh: '肺部病灶', code: 'pag-lung-lesion', scheme: 'LOCAL',
    source: 'local: "Lesion of lung" is a SNOMED CT concept (parent of 786838002) but its id could not be verified',
    chexpert: 'Lung Lesion', en: ['(?:cavitary|pulmonary|lung|parenchymal|spiculated)\\s+lesions?'], zh: ['肺(?:内|部)?病灶'],
  },
  {
    id: 'edema', label: 'Pulmonary edema', labelZh: '肺水肿', code: '19242006', scheme: 'SCT',
    source: `${MII}: "Pulmonary edema (disorder)"`, chexpert: 'Edema',
    en: ['(?:pulmonary\\s+|interstitial\\s+|alveolar\\s+)?o?edema(?:tous)?'],
    zh: ['(?:间质性)?肺(?:间质)?水肿'],
  },
  {
    id: 'consolidation', label: 'Lung consolidation', labelZh: '肺实变', code: '95436008', scheme: 'SCT',
    source: `${LDCT}: "Lung consolidation (disorder)"`, radlex: 'RID43255', chexpert: 'Consolidation',
    en: ['consolidat(?:ion|ions|ive|ed)'], zh: ['(?:肺)?实变(?:影)?'],
  },
  {
    id: 'pneumonia', label: 'Pneumonia', labelZh: '肺炎', code: '233604007', scheme: 'SCT',
    source: `${MII}: "Pneumonia (disorder)"; ${OMOP} (OMOP 255848)`, chexpert: 'Pneumonia',
    en: ['(?:broncho)?pneumonias?', 'pneumonitis'],
    zh: ['肺炎', '(?:肺部)?感染(?:性病变)?', '炎(?:症|性病变|性改变|性病灶)'],
  },
  {
    id: 'atelectasis', label: 'Atelectasis', labelZh: '肺不张', code: '46621007', scheme: 'SCT',
    source: 'FHIR ConceptMap MedDRA 10003598 "Atelectasis" → SCT 46621007 "Atelectasis" (equivalent); 5 further lists',
    chexpert: 'Atelectasis',
    en: ['atelecta(?:sis|ses|tic)', '(?:lobar|lobe|segmental)\\s+collapse', 'collapsed?\\s+(?:lung|lobe)',
      'collapse\\s+of\\s+the\\s+(?:\\w+\\s+){0,3}?(?:lobes?|lung)'],
    zh: ['(?:肺)?不张', '膨胀不全', '肺萎陷'],
  },
  {
    id: 'pneumothorax', label: 'Pneumothorax', labelZh: '气胸', code: '36118008', scheme: 'SCT',
    source: `${MII} and ${LDCT}: "Pneumothorax (disorder)"`, radlex: 'RID5352', chexpert: 'Pneumothorax',
    // Fleischner Society glossary (Hansell et al., Radiology 2008;246:697-722) defines pneumothorax as air in the
    // pleural space; its paraphrases name the same concept ("pleural air collection", issue 13)
    en: ['(?:hydro)?pneumothora(?:x|ces)', 'pleural\\s+air(?:\\s+collections?)?',
      'air\\s+(?:collections?\\s+)?(?:with)?in\\s+the\\s+(?:\\w+\\s+)?pleural\\s+space'],
    zh: ['(?:液)?气胸', '胸腔[^，。；未无不]{0,3}?积气'],
  },
  {
    id: 'pleural-effusion', label: 'Pleural effusion', labelZh: '胸腔积液', code: '60046008', scheme: 'SCT',
    source: `${MII}: "Pleural effusion (disorder)"; OHDSI Cancer Modifier script`, chexpert: 'Pleural Effusion',
    en: ['(?:pleural\\s+)?effusions?', 'pleural\\s+fluid', 'hydropneumothora(?:x|ces)'],
    zh: ['胸腔积液', '胸水', '(?:包裹性)?积液', '液气胸'],
  },
  {
    id: 'pleural-other', label: 'Pleural thickening', labelZh: '胸膜增厚', code: 'pag-pleural-thickening',
    scheme: 'LOCAL', source: 'local: three different SNOMED CT ids for pleural thickening in public lists; none verified',
    chexpert: 'Pleural Other',
    en: ['pleur(?:al|o)(?:[\\s-]+\\w+){0,2}?[\\s-]+thickenings?', 'pleuroparenchymal\\s+thickening',
      'thicken(?:ing|ed)\\s+(?:of\\s+the\\s+)?pleura', 'apical\\s+(?:pleural\\s+)?capp?(?:ing|s)?',
      'pleural\\s+(?:plaques?|calcifications?|scarring)', 'fibrothorax',
      // the fissures are pleura: fissural thickening is pleural thickening
      '(?:fissural|interlobar\\s+fissure)\\s+thickening', 'thicken(?:ing|ed)\\s+(?:of\\s+the\\s+)?(?:\\w+\\s+)?fissures?'],
    zh: ['胸膜[^，。；未无不]{0,4}?(?:增厚|肥厚)'],
  },
  {
    id: 'fracture', label: 'Fracture of bone', labelZh: '骨折', code: '125605004', scheme: 'SCT',
    source: 'SNOMED International snomed-tools scripts (ECL "<<125605004 |Fracture of bone (disorder)|")',
    chexpert: 'Fracture', en: ['fractur(?:e|es|ed)'], zh: ['(?:压缩性)?骨折(?:线)?'],
  },
  {
    id: 'support-devices', label: 'Support device', labelZh: '置入装置', code: 'pag-support-devices',
    scheme: 'LOCAL', source: 'local: CheXpert groups tubes, lines and pacemakers; no single verified code',
    chexpert: 'Support Devices',
    en: ['(?:endotracheal|et|nasogastric|ng|orogastric|og|feeding|chest|tracheostomy|dobhoff|enteric)\\s+tubes?',
      'tracheostomy', '(?:central\\s+venous\\s+|venous\\s+|picc\\s+|swan-ganz\\s+|dialysis\\s+)?catheters?',
      '(?:picc|central|venous|midline)\\s+lines?', 'pacemakers?', 'pacer(?:\\s+(?:wires?|leads?))?', 'defibrillator',
      'aicd', 'port-?a-?cath', 'stents?'],
    zh: ['(?:气管)?插管', '置管', '(?:中心静脉)?导管', '(?:胸腔(?:闭式)?)?引流管', '胃管', '起搏器', '支架', '气管切开'],
  },
  {
    id: 'lung-nodule', label: 'Pulmonary nodule', labelZh: '肺结节', code: '786838002', scheme: 'SCT',
    source: 'SNOMED CT-AU 20230731 browser page: "Nodule of lung (disorder)", synonym "Pulmonary nodule"',
    chexpert: 'Lung Lesion',
    // "nodular opacity" is an opacity of nodular shape, not a nodule (stays lung-opacity)
    en: ['(?:micro)?nodul(?:e|es|arity)'],
    zh: ['(?:肺|磨玻璃|部分实性|实性|钙化|微?小|粟粒样)?结节(?:影)?'],
  },
  {
    id: 'lung-mass', label: 'Lung mass', labelZh: '肺部肿块', code: '309529002', scheme: 'SCT',
    source: 'HL7 Genomics Reporting IG examples: "Lung mass (finding)"; OMOP concept row', radlex: 'RID39056',
    chexpert: 'Lung Lesion', en: ['(?:lung|pulmonary)\\s+mass(?:es)?'], zh: ['肺(?:部)?(?:肿块|占位)'],
  },
  {
    id: 'mass', label: 'Mass', labelZh: '肿块', code: '4147007', scheme: 'SCT',
    source: 'FHIR R4 example bodysite-example-tumor: "Mass (morphologic abnormality)"; DICOM segmentation list',
    chexpert: 'Lung Lesion', en: ['mass(?:es)?', 'mass[\\s-]?like'],
    zh: ['(?:软组织)?(?:肿块|团块|肿物|包块)(?:影)?', '占位(?:性病变)?'],
  },
  {
    id: 'lung-cancer', label: 'Malignant tumor of lung', labelZh: '肺癌', code: '363358000', scheme: 'SCT',
    source: 'FHIR IG comment recording a tx.fhir.org $lookup ("Malignant neoplasm of lung"); SNOMED Snowstorm ECL test',
    chexpert: 'Lung Lesion',
    en: ['(?:lung|bronchogenic)\\s+(?:cancer|carcinoma|malignancy)', '(?:carcinoma|cancer)\\s+of\\s+the\\s+lung'],
    zh: ['肺癌', '肺(?:部)?恶性肿瘤', '恶性肿瘤'],
  },
  {
    id: 'emphysema', label: 'Pulmonary emphysema', labelZh: '肺气肿', code: '87433001', scheme: 'SCT',
    source: `${LDCT}: "Pulmonary emphysema (disorder)"`, chexpert: null,
    en: ['emphysema(?:tous)?'], zh: ['肺气肿'],
  },
  {
    id: 'fibrosis', label: 'Pulmonary fibrosis', labelZh: '肺纤维化', code: '51615001', scheme: 'SCT',
    source: 'FHIR resource display "Pulmonary fibrosis"; MedDRA 10037383 → 51615001 ConceptMap (one list disagrees)',
    chexpert: null, en: ['fibros(?:is|es)', 'fibrotic'],
    zh: ['(?:肺|间质)?纤维化', '纤维(?:灶|条索影?|索条影?)', '条索(?:影)?'],
  },
  {
    id: 'infiltration', label: 'Pulmonary infiltrate', labelZh: '渗出浸润', code: 'pag-infiltration', scheme: 'LOCAL',
    source: 'local: public lists give three different SNOMED CT ids for an infiltrate; none verified',
    chexpert: 'Lung Opacity', en: ['infiltra(?:te|tes|tion|tive)'], zh: ['渗出(?:影|性病变)?', '浸润(?:影)?'],
  },
  {
    id: 'bronchial-wall-thickening', label: 'Bronchial wall thickening', labelZh: '支气管壁增厚',
    code: 'pag-bronchial-wall-thickening', scheme: 'LOCAL',
    source: 'local: no SNOMED CT code for bronchial wall thickening could be verified in public lists',
    chexpert: null,
    en: ['(?:peri)?bronchial\\s+(?:wall\\s+)?(?:thickening|cuffing)',
      'thicken(?:ing|ed)\\s+(?:of\\s+the\\s+)?(?:peri)?bronchial\\s+walls?', 'bronchial\\s+walls?\\s+(?:is\\s+|are\\s+)?thickened'],
    zh: ['支气管(?:血管束)?壁?增厚'],
  },
  {
    id: 'interstitial-thickening', label: 'Interstitial thickening', labelZh: '间质增厚',
    code: 'pag-interstitial-thickening', scheme: 'LOCAL',
    source: 'local: no SNOMED CT code for interstitial (septal) thickening could be verified in public lists',
    chexpert: null,
    en: ['interstitial\\s+thickening', '(?:interlobular\\s+)?septal\\s+thickening',
      'thicken(?:ing|ed)\\s+(?:of\\s+the\\s+)?(?:pulmonary\\s+)?interstitium'],
    zh: ['(?:小叶间隔|肺间质|间质)增厚'],
  },
  {
    id: 'paratracheal-thickening', label: 'Paratracheal stripe thickening', labelZh: '气管旁线增厚',
    code: 'pag-paratracheal-thickening', scheme: 'LOCAL',
    source: 'local: no SNOMED CT code for a thickened paratracheal stripe could be verified in public lists',
    chexpert: null,
    en: ['paratracheal\\s+(?:stripe\\s+)?(?:soft[\\s-]+tissue\\s+)?thickening',
      'thicken(?:ing|ed)\\s+(?:of\\s+the\\s+)?(?:right\\s+)?paratracheal\\s+stripe', 'paratracheal\\s+stripe\\s+(?:is\\s+)?thickened'],
    zh: ['气管旁(?:线|软组织)增厚'],
  },
  {
    id: 'hiatal-hernia', label: 'Hiatal hernia', labelZh: '食管裂孔疝', code: 'pag-hiatal-hernia', scheme: 'LOCAL',
    source: 'local: public lists disagree (84089009 vs 414403008); not verified',
    chexpert: null, en: ['(?:hiatal|hiatus|diaphragmatic)\\s+hernias?', 'hernias?'], zh: ['(?:食管)?裂孔疝', '膈疝'],
  },
];

/**
 * Phrases that contain a concept's word but are not that finding ("subcutaneous emphysema" is not pulmonary
 * emphysema). They win over a shorter concept match on the same words.
 */
export const NOT_FINDINGS_EN = [
  'subcutaneous\\s+emphysema', '(?:mediastinal|interstitial)\\s+emphysema', 'pericardial\\s+effusions?',
  'joint\\s+effusions?', 'mass\\s+effect', '(?:body|muscle|bone)\\s+mass', 'cystic\\s+fibrosis',
  'calcified\\s+(?:granulomas?|lymph\\s+nodes?)', 'soft\\s+tissue\\s+(?:density|densities|edema)', 'bone\\s+density',
  'breast\\s+(?:density|densities|tissue)', 'nipple\\s+shadows?', 'lesion\\s+of\\s+the\\s+(?:liver|kidney|bone)',
];
export const NOT_FINDINGS_ZH = [
  // effusion outside the pleura, also with an amount between the site and 积液 (心包少量积液, 心包腔内少许积液)
  '(?:心包|腹腔|盆腔|关节)腔?内?(?:少量|少许|微量|中等?量|大量|较多|多量)?积液',
  '皮下气肿', '纵隔气肿', '胸膜炎', '结节状', '结节病', '胸腔胃', '淋巴结',
];

const BY_ID = new Map(CONCEPTS.map((c) => [c.id, c]));

/** The concept with this id; throws for an unknown id (a programming error, not input). */
export function conceptById(id: string): Concept {
  const c = BY_ID.get(id);
  if (c === undefined) throw new Error(`unknown concept id ${id}`);
  return c;
}
