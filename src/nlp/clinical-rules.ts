// NegEx/ConText trigger lists (English and Chinese): negation, uncertainty, pseudo-triggers and scope terminators.
// Written from general knowledge of radiology language (NegEx, ConText, NegBio, CheXpert conventions), not from the
// evaluation corpora.

/** What a trigger does to the findings in its scope. */
export const CUE_KINDS = ['neg-pre', 'neg-post', 'neg-both', 'unc-pre', 'unc-post', 'unc-both', 'pseudo', 'stop'] as const;
export type CueKind = (typeof CUE_KINDS)[number];

/** [regular-expression fragment, kind]. English fragments are matched as whole words, case-insensitive. */
export type TriggerList = ReadonlyArray<readonly [string, CueKind]>;

const BE = '(?:is|are|was|were|has\\s+been|have\\s+been|be)';
const SEEN = '(?:seen|identified|present|visuali[sz]ed|appreciated|demonstrated|evident|noted|detected|found|shown)';

export const EN_TRIGGERS: TriggerList = [
  // pseudo-triggers first in spirit: they look like negations but are not ("no change", "not only")
  // "no further change" is a pseudo-trigger; "no further episodes of emesis" negates (ConText's KB has no bare
  // "no further" pseudo-trigger)
  ['no\\s+(?:further\\s+)?(?:significant\\s+|interval\\s+|appreciable\\s+|definite\\s+|substantial\\s+)?(?:change|increase|decrease|worsening|progression|improvement|enlargement\\s+since)', 'pseudo'],
  ['not\\s+(?:only|necessarily|certain\\s+(?:if|whether)|significantly\\s+changed|changed)', 'pseudo'],
  ['without\\s+(?:difficulty|(?:significant\\s+|interval\\s+)?change)', 'pseudo'],
  ['gram\\s+negative', 'pseudo'], ['non-\\w+|non(?:displaced|specific|acute|calcified|obstructive)', 'pseudo'],
  ['no\\s+further\\s+(?:evaluation|imaging|work-?up|follow-?up|comment|treatment|intervention)', 'pseudo'],
  // uncertainty; longer phrases containing "not"/"no" must be listed so they beat the bare negation word
  ['(?:cannot|can\\s*not|can\'t|could\\s+not|not\\s+able\\s+to)\\s+(?:exclude|rule\\s+out)', 'unc-pre'],
  [`${BE}\\s+not\\s+(?:excluded|ruled\\s+out)|not\\s+(?:excluded|ruled\\s+out)`, 'unc-post'],
  ['(?:cannot|can\\s*not|can\'t)\\s+be\\s+(?:excluded|ruled\\s+out|entirely\\s+excluded)', 'unc-post'],
  ['(?:possible|possibly|probable|probably|likely|presumed|presumably|questionable|equivocal|suspected|apparent|maybe)', 'unc-pre'],
  ['(?:may|might|could)\\s+(?:be|represent|reflect|indicate|include|relate\\s+to|be\\s+due\\s+to|obscure|mask|hide)', 'unc-pre'],
  // ConText's hypothetical category (a finding stated under a condition is not asserted), in radiology's phrasing
  ['in\\s+(?:the|an?)\\s+(?:appropriate|right|proper|correct|suitable)\\s+clinical\\s+(?:setting|context|scenario)|if\\s+clinically', 'unc-pre'],
  ['(?:difficult|hard)\\s+to\\s+(?:entirely\\s+|completely\\s+)?(?:exclude|rule\\s+out)', 'unc-post'],
  ['suspicious(?:\\s+for)?|suspicion\\s+(?:of|for)|concern(?:ing)?\\s+for|worrisome\\s+for|(?<!in\\s+)question(?:\\s+of)?', 'unc-pre'],
  ['sugg?est(?:s|ed|ing|ive\\s+of)?|differential\\s+(?:diagnosis\\s+)?(?:includes?|of)?|rule\\s+out|r\\/o|to\\s+exclude', 'unc-pre'],
  ['(?:evaluate|eval|assess|evaluation|assessment)\\s+(?:for|of)|consider(?:ed|ation\\s+of)?|cannot\\s+distinguish', 'unc-pre'],
  [`${BE}\\s+(?:also\\s+|still\\s+)?(?:suspected|possible|likely|probable|questioned|favou?red|a\\s+consideration|not\\s+excluded)`, 'unc-post'],
  ['versus|vs\\.?|and\\s*\\/\\s*or', 'unc-both'],
  // negation
  ['no\\s+(?:radiographic\\s+|definite\\s+|convincing\\s+|obvious\\s+|acute\\s+|other\\s+)?(?:evidence|signs?|findings?|features?|suggestion)(?:\\s+(?:of|for|to\\s+suggest))?', 'neg-pre'],
  ['no|not|without|w\\/o|denies|denied|deny|(?:negative|-ve)\\s+for|free\\s+of|clear\\s+of|absence\\s+of|absent|never|nor|lack\\s+of', 'neg-pre'],
  ['ruled\\s+out|rules\\s+out|(?:interval\\s+)?resolution\\s+of|removal\\s+of|fails?\\s+to\\s+(?:reveal|show|demonstrate)', 'neg-pre'],
  ['low\\s+(?:suspicion|probability|likelihood)\\s+(?:for|of)', 'neg-pre'],
  // "resolved pneumonia" and "small bowel obstruction, resolved"
  ['resolved', 'neg-both'],
  // bidirectional in ConText's lexical KB (pyConTextNLP lexical_kb_05042016): "unlikely pneumonia", "pneumonia is unlikely"
  ['(?:unlikely|not\\s+likely)(?!\\s+(?:to\\s+be\\s+)?(?:represent|reflect|be\\s+due))', 'neg-both'],
  // "less likely" ranks an alternative lower without ruling it out ("less likely pneumonia (cannot be excluded)"):
  // uncertain, either side; never the coded hedge "likely" it contains
  ['less\\s+(?:likely|probable)', 'unc-both'],
  ['no\\s+longer|unremarkable\\s+for|is\\s+negative\\s+for', 'neg-pre'],
  [`${BE}\\s+(?:not\\s+${SEEN}|absent|resolved|ruled\\s+out|excluded|removed|no\\s+longer\\s+${SEEN})`, 'neg-post'],
  [`not\\s+${SEEN}|(?:has|have)\\s+(?:since\\s+)?resolved|no\\s+longer\\s+${SEEN}|:\\s*none|(?:is|are)\\s+negative`, 'neg-post'],
  // scope terminators: a new clause starts; a trigger's scope does not cross them
  ['but|however|although|though|yet|except|apart\\s+from|aside\\s+from|other\\s+than|whereas|while|which|who', 'stop'],
  ['and\\s+(?:he|she|they|we|it)', 'stop'], ['\\d{1,2}\\)', 'stop'],
  ['there\\s+(?:is|are|was|were|has\\s+been|have\\s+been)', 'stop'],
  // ConText's termination terms (pyConTextNLP lexical_kb_05042016, type CONJ): a cause, source or reason named
  // after the finding starts a new assertion ("no pneumothorax as a cause of the pain")
  ['(?:as\\s+(?:a|an|the)\\s+(?:secondary\\s+)?)?(?:causes?|etiology|origins?|sources?|reasons?)\\s+(?:for|of)', 'stop'],
  ['nevertheless|other\\s+possibilities\\s+of|trigger\\s+event\\s+for', 'stop'],
  // "no definite effusion seen, hilar calcifications and a dense nodule …": the verb closes the negated list
  // (only before a comma: "no visualized pneumothorax" and "previously demonstrated infiltrates" keep their scope)
  ['(?:seen|noted|identified|demonstrated|visuali[sz]ed|evident|appreciated)(?=\\s*,)', 'stop'],
];

// Chinese clauses are short (they end at ，；), so the hedges that go either side of their finding (肺炎可能 /
// 可能为肺炎, 不除外气胸 / 气胸不除外) are 'unc-both'.
export const ZH_TRIGGERS: TriggerList = [
  ['(?:较前)?(?:无|未见)(?:明显|确切)?(?:变化|增大|缩小|减少|增多|进展|吸收|改变)', 'pseudo'],
  ['无需|无特殊', 'pseudo'],
  ['可能(?:性大|性不大|大|为)?|均有可能|不(?:能|可)?(?:除外|排除)|需(?:要)?除外|请除外|除外|可疑', 'unc-both'],
  ['考虑为?|疑似|疑为|倾向于?|怀疑|拟诊|警惕|提示可能', 'unc-pre'],
  ['待(?:排除?|除外|查)|鉴别|饱满', 'unc-post'],
  ['未见(?:明显|确切|明确)?|未发现|未显示|未探及|未再见|无明显|没有|否认|排除|不考虑|不伴|未合并|未累及|无', 'neg-pre'],
  ['已(?:基本|完全)?(?:吸收|消失|复张|切除|拔除|愈合|消退)|未再显示|消失', 'neg-post'],
  ['但是?|然而|而', 'stop'],
];

/**
 * What may stand before a post-trigger in a Chinese clause whose subject is the previous clause's finding: only
 * adverbs of time, comparison or degree (本次未再显示, 较前已吸收, 现已基本消失), never a noun of its own.
 */
export const ZH_ELIDED_SUBJECT_LEAD = /^\s*(?:本次|此次|现在?|目前|复查(?:示|见)?|较前|与前片?比较|均|大部分?|基本|明显|完全)*\s*$/u;
