import { expect } from 'chai';
import { CHEXPERT_OBSERVATIONS, CONCEPTS, conceptById } from '../../../src/nlp/concepts.js';
import { matchLexicon, normalizeFinding } from '../../../src/nlp/concept-match.js';

const conceptsIn = (text: string): string[] => matchLexicon(text).mentions.flatMap((m) => m.concepts.map((c) => c.id));

describe('nlp/concepts', () => {
  it('covers the 14 CheXpert observations plus lung nodule, mass and lung cancer', () => {
    const covered = new Set(CONCEPTS.map((c) => c.chexpert));
    for (const o of CHEXPERT_OBSERVATIONS) expect(covered.has(o), o).to.equal(true);
    for (const id of ['lung-nodule', 'mass', 'lung-mass', 'lung-cancer']) expect(conceptById(id).id).to.equal(id);
  });

  it('every concept says where its code comes from; SNOMED CT ids are numeric and unique', () => {
    const sct = CONCEPTS.filter((c) => c.scheme === 'SCT');
    for (const c of CONCEPTS) expect(c.source.length, c.id).to.be.greaterThan(10);
    for (const c of sct) expect(c.code, c.id).to.match(/^\d{6,18}$/u);
    expect(new Set(sct.map((c) => c.code)).size).to.equal(sct.length);
    for (const c of CONCEPTS.filter((x) => x.scheme === 'LOCAL')) expect(c.source, c.id).to.match(/^local:/u);
  });

  it('uses the SNOMED CT codes checked for this project', () => {
    const code = (id: string): string => conceptById(id).code;
    expect(code('pleural-effusion')).to.equal('60046008');
    expect(code('pneumothorax')).to.equal('36118008');
    expect(code('atelectasis')).to.equal('46621007');
    expect(code('pneumonia')).to.equal('233604007');
    expect(code('cardiomegaly')).to.equal('8186001');
    expect(code('lung-nodule')).to.equal('786838002');
    expect(code('edema')).to.equal('19242006');
    expect(code('consolidation')).to.equal('95436008');
  });

  it('maps English and Chinese synonyms to the same concept', () => {
    expect(conceptsIn('small right pleural effusion')).to.deep.equal(['pleural-effusion']);
    expect(conceptsIn('右侧少量胸腔积液')).to.deep.equal(['pleural-effusion']);
    expect(conceptsIn('the heart is enlarged')).to.deep.equal(['cardiomegaly']);
    expect(conceptsIn('Borderline heart size.')).to.deep.equal(['cardiomegaly']);
    expect(conceptsIn('masslike opacity')).to.include('mass');
    expect(conceptsIn('mass-like density')).to.include('mass');
    expect(conceptsIn('心影增大')).to.deep.equal(['cardiomegaly']);
    expect(conceptsIn('bibasilar atelectatic changes')).to.deep.equal(['atelectasis']);
    expect(conceptsIn('右肺中叶不张')).to.deep.equal(['atelectasis']);
    expect(conceptsIn('磨玻璃结节')).to.deep.equal(['lung-nodule']);
    expect(conceptsIn('pulmonary mass')).to.deep.equal(['lung-mass']);
    expect(conceptsIn('right IJ central venous catheter')).to.deep.equal(['support-devices']);
    expect(conceptsIn('气管插管')).to.deep.equal(['support-devices']);
  });

  it('paraphrases from the Fleischner glossary name the concept: air in the pleural space is a pneumothorax', () => {
    expect(conceptsIn('small apical pleural air collection')).to.deep.equal(['pneumothorax']);
    expect(conceptsIn('air in the right pleural space')).to.deep.equal(['pneumothorax']);
    expect(conceptsIn('右侧胸腔少量积气')).to.deep.equal(['pneumothorax']);
    expect(conceptsIn('air-fluid level in the stomach')).to.deep.equal([]);
  });

  it('one phrase can name two findings: hydropneumothorax, 液气胸', () => {
    expect(conceptsIn('left hydropneumothorax').sort()).to.deep.equal(['pleural-effusion', 'pneumothorax']);
    expect(conceptsIn('右侧液气胸').sort()).to.deep.equal(['pleural-effusion', 'pneumothorax']);
  });

  it('look-alike phrases are not the finding', () => {
    expect(conceptsIn('subcutaneous emphysema in the chest wall')).to.deep.equal([]);
    expect(conceptsIn('small pericardial effusion')).to.deep.equal([]);
    expect(conceptsIn('心包积液')).to.deep.equal([]);
    expect(conceptsIn('心包少量积液')).to.deep.equal([]); // an amount between site and 积液: still pericardial
    expect(conceptsIn('心包腔内少许积液')).to.deep.equal([]);
    expect(conceptsIn('双侧胸腔少量积液')).to.deep.equal(['pleural-effusion']);
    expect(conceptsIn('no mass effect')).to.deep.equal([]);
    expect(conceptsIn('胸膜结节状增厚')).to.deep.equal(['pleural-other']);
  });

  it('normalises a misspelt model span within a small edit distance, and nothing else', () => {
    expect(normalizeFinding('pnuemothorax').map((c) => c.id)).to.deep.equal(['pneumothorax']);
    expect(normalizeFinding('atelectais').map((c) => c.id)).to.deep.equal(['atelectasis']);
    expect(normalizeFinding('granuloma')).to.deep.equal([]);
    expect(normalizeFinding('pericardial effusion')).to.deep.equal([]); // a look-alike, not a misspelling
    expect(normalizeFinding('edam')).to.deep.equal([]); // too short to guess
  });
});
