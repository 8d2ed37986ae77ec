import { expect } from 'chai';
import { analyzeReport } from '../../../src/nlp/index.js';

/** concept → certainty of the first finding of that concept (rules only: no model needed for scope). */
async function certainties(text: string): Promise<Record<string, string>> {
  const { findings } = await analyzeReport(text);
  const out: Record<string, string> = {};
  for (const f of findings) out[f.concept] ??= f.certainty;
  return out;
}

async function target(text: string, term: string): Promise<string> {
  const { targets } = await analyzeReport(text, { targets: [term] });
  return targets?.[0]?.certainty ?? 'none';
}

describe('nlp/negation: English scope', () => {
  it('a leading "no" negates every finding of the list', async () => {
    expect(await certainties('No pleural effusion, pneumothorax, or focal consolidation.')).to.deep.equal({
      'pleural-effusion': 'absent', pneumothorax: 'absent', consolidation: 'absent',
    });
  });

  it('ConText KB rules: "unlikely" either side, "no further" negates unless a change follows, termination terms', async () => {
    expect(await certainties('Unlikely pneumonia.')).to.deep.equal({ pneumonia: 'absent' });
    expect(await certainties('Pneumonia is unlikely.')).to.deep.equal({ pneumonia: 'absent' });
    expect(await target('No further episodes of emesis.', 'emesis')).to.equal('absent');
    expect(await certainties('No further change in the small effusion.')).to.deep.equal({ 'pleural-effusion': 'present' });
    expect(await target('ROS is -ve for bleeding.', 'bleeding')).to.equal('absent');
    expect(await certainties('No pneumothorax as a cause of the effusion.')).to.deep.equal({
      pneumothorax: 'absent', 'pleural-effusion': 'present',
    });
    // "secondary to" is not a terminator: the hedge before it reaches the cause
    expect(await certainties('Blunting which may be secondary to effusion.')).to.deep.equal({ 'pleural-effusion': 'uncertain' });
  });

  it('"but" ends the scope: what follows is present', async () => {
    expect(await certainties('No effusion, but there is a small right pneumothorax.')).to.deep.equal({
      'pleural-effusion': 'absent', pneumothorax: 'present',
    });
  });

  it('the sentence end ends the scope', async () => {
    expect(await certainties('No pneumothorax. Small left pleural effusion.')).to.deep.equal({
      pneumothorax: 'absent', 'pleural-effusion': 'present',
    });
  });

  it('post-position negation: "is not seen", "has resolved"', async () => {
    expect(await certainties('The previously seen pneumothorax has resolved.')).to.deep.equal({ pneumothorax: 'absent' });
    expect(await certainties('Pleural effusion is not seen.')).to.deep.equal({ 'pleural-effusion': 'absent' });
  });

  it('uncertainty before and after the finding', async () => {
    expect(await certainties('Possible left lower lobe pneumonia.')).to.deep.equal({ pneumonia: 'uncertain' });
    expect(await certainties('Pneumonia cannot be excluded.')).to.deep.equal({ pneumonia: 'uncertain' });
    expect(await certainties('Atelectasis versus pneumonia in the left lower lobe.')).to.deep.equal({
      atelectasis: 'uncertain', pneumonia: 'uncertain',
    });
  });

  it('hedges: "maybe", "are also possible", a question, "could obscure", a stated clinical condition', async () => {
    expect(await certainties('Maybe due to pulmonary fibrosis.')).to.deep.equal({ fibrosis: 'uncertain' });
    expect(await certainties('Aspiration or edema are also possible.')).to.deep.equal({ edema: 'uncertain' });
    expect(await certainties('Question edema or atypical infection.')).to.deep.equal({ edema: 'uncertain' });
    expect(await certainties('Bony overlap could obscure a small pulmonary nodule.')).to.deep.equal({
      'lung-nodule': 'uncertain',
    });
    // ConText's hypothetical category: asserted only under a condition
    expect(await certainties('In the appropriate clinical setting, this is compatible with pneumonia.')).to.deep.equal({
      pneumonia: 'uncertain',
    });
    // "less likely" ranks an alternative lower, it does not rule it out (nor is it the coded hedge "likely")
    expect(await certainties('Edema is less likely.')).to.deep.equal({ edema: 'uncertain' });
    expect(await certainties('Less likely pneumonia, which cannot be excluded.')).to.deep.equal({ pneumonia: 'uncertain' });
    // "the nodule in question" names a known nodule; it does not question it
    expect(await certainties('The nodule in question is unchanged.')).to.deep.equal({ 'lung-nodule': 'present' });
  });

  it('a semicolon ends a clause, and with it a negation\'s scope', async () => {
    expect(await certainties('No pneumothorax; small left pleural effusion.')).to.deep.equal({
      pneumothorax: 'absent', 'pleural-effusion': 'present',
    });
  });

  it('"cannot exclude" is uncertainty, not the negation "not"', async () => {
    expect(await certainties('Cannot exclude a small pneumothorax.')).to.deep.equal({ pneumothorax: 'uncertain' });
  });

  it('a negated hedge is a negation: "no findings to suggest pneumonia"', async () => {
    expect(await certainties('No focal consolidation to suggest pneumonia.')).to.deep.equal({
      consolidation: 'absent', pneumonia: 'absent',
    });
  });

  it('pseudo-triggers do not negate: "no change in", "without change"', async () => {
    expect(await certainties('No change in the right pleural effusion.')).to.deep.equal({ 'pleural-effusion': 'present' });
    expect(await certainties('Cardiomegaly without interval change.')).to.deep.equal({ cardiomegaly: 'present' });
  });

  it('a finding before "without" stays present', async () => {
    expect(await certainties('Stable cardiomegaly without pulmonary edema.')).to.deep.equal({
      cardiomegaly: 'present', edema: 'absent',
    });
  });

  it('a normal statement is an absent finding: "heart size is normal", "not enlarged"', async () => {
    expect(await certainties('Heart size is normal.')).to.deep.equal({ cardiomegaly: 'absent' });
    expect(await certainties('The heart is not significantly enlarged.')).to.deep.equal({ cardiomegaly: 'absent' });
  });

  it('targets: certainty of any term, found case-insensitively across whitespace', async () => {
    expect(await target('He denies any palpitations, shortness of breath, CHEST   PAIN, or headache.', 'chest pain')).to.equal('absent');
    expect(await target('Extremities reveal no peripheral cyanosis or EDEMA.', 'edema')).to.equal('absent');
    expect(await target('NAUSEA AND VOMITING.', 'vomiting')).to.equal('present');
    expect(await target('Rule out pulmonary embolism.', 'pulmonary embolism')).to.equal('uncertain');
    expect(await target('Lungs are clear.', 'pneumonia')).to.equal('not-mentioned');
  });
});

describe('nlp/negation: Chinese scope', () => {
  it('the origin example: chest mass and lung cancer present, at the chest', async () => {
    const { findings } = await analyzeReport('患者因发现胸部肿块，进行胸部CT检查，发现肺癌患者');
    const mass = findings.find((f) => f.concept === 'mass');
    const cancer = findings.find((f) => f.concept === 'lung-cancer');
    expect(mass).to.include({ certainty: 'present', anatomy: 'chest', code: '4147007', scheme: 'SCT' });
    expect(mass?.span).to.deep.equal([7, 9]); // 肿块
    expect(cancer).to.include({ certainty: 'present', code: '363358000' });
  });

  it('未见 negates within its clause only', async () => {
    expect(await certainties('双肺未见结节，右侧少量胸腔积液。')).to.deep.equal({
      'lung-nodule': 'absent', 'pleural-effusion': 'present',
    });
  });

  it('a negation covers an enumeration joined by 、 and 及', async () => {
    expect(await certainties('双肺野内未见结节、肿块及实变。')).to.deep.equal({
      'lung-nodule': 'absent', mass: 'absent', consolidation: 'absent',
    });
  });

  it('无, 未发现, 否认, 排除, 不考虑 negate', async () => {
    expect(await certainties('无胸腔积液。')).to.deep.equal({ 'pleural-effusion': 'absent' });
    expect(await certainties('未发现气胸。')).to.deep.equal({ pneumothorax: 'absent' });
    expect(await certainties('排除骨折。')).to.deep.equal({ fracture: 'absent' });
    expect(await certainties('不考虑肺癌。')).to.deep.equal({ 'lung-cancer': 'absent' });
    expect(await target('否认结核病史。', '结核')).to.equal('absent');
  });

  it('可能, 考虑, 疑似, 不除外 make a finding uncertain, before or after it', async () => {
    expect(await certainties('考虑肺炎。')).to.deep.equal({ pneumonia: 'uncertain' });
    expect(await certainties('左下肺感染可能。')).to.deep.equal({ pneumonia: 'uncertain' });
    expect(await certainties('疑似肺癌。')).to.deep.equal({ 'lung-cancer': 'uncertain' });
    expect(await certainties('右侧少量气胸不除外。')).to.deep.equal({ pneumothorax: 'uncertain' });
  });

  it('post-position resolution negates: 已吸收, 已消失', async () => {
    expect(await certainties('右侧胸腔积液已吸收。')).to.deep.equal({ 'pleural-effusion': 'absent' });
    expect(await certainties('左肺下叶结节已消失。')).to.deep.equal({ 'lung-nodule': 'absent' });
  });

  it('a post-trigger clause with its subject dropped reaches back across ，: 本次未再显示, 较前已吸收, 待排', async () => {
    expect(await certainties('前片所示左侧气胸，本次未再显示。')).to.deep.equal({ pneumothorax: 'absent' });
    expect(await certainties('右下肺炎症，较前已吸收。')).to.deep.equal({ pneumonia: 'absent' });
    expect(await certainties('右下肺炎症，待排。')).to.deep.equal({ pneumonia: 'uncertain' });
    expect(await target('前片所示左侧气胸，本次未再显示。', '气胸')).to.equal('absent');
  });

  it('a clause with a subject or a finding of its own keeps its break', async () => {
    // 转移瘤 is the subject of 待排, not the nodules
    expect(await certainties('双肺多发结节，转移瘤待排。')).to.deep.equal({ 'lung-nodule': 'present' });
    const { findings } = await analyzeReport('左侧气胸，右肺炎症已吸收。');
    expect(findings.map((f) => [f.concept, f.certainty])).to.deep.equal([['pneumothorax', 'present'], ['pneumonia', 'absent']]);
    // a resolution with its subject dropped reaches back one clause only
    const later = await analyzeReport('左侧气胸，右肺结节，已消失。');
    expect(later.findings.map((f) => [f.concept, f.certainty])).to.deep.equal([['pneumothorax', 'present'], ['lung-nodule', 'absent']]);
  });

  it('pseudo-negation: 较前无明显变化 keeps the finding present', async () => {
    expect(await certainties('右肺上叶结节较前无明显变化。')).to.deep.equal({ 'lung-nodule': 'present' });
  });

  it('但 ends a negation', async () => {
    expect(await certainties('左肺未见实变，但右肺下叶可见实变影。')).to.deep.equal({ consolidation: 'absent' });
    const { findings } = await analyzeReport('左肺未见实变，但右肺下叶可见实变影。');
    expect(findings.map((f) => f.certainty)).to.deep.equal(['absent', 'present']);
  });
});
