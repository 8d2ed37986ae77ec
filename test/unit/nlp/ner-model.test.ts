import { expect } from 'chai';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { env } from '@huggingface/transformers';
import { analyzeReport, loadNerModel, type NerModel } from '../../../src/nlp/index.js';
import { DEFAULT_MODEL_DIR } from '../../../src/nlp/ner-model.js';
import { bertWords } from '../../../src/nlp/bert-words.js';
import { tempDir, runCleanups } from '../../helpers/fixtures.js';

describe('nlp/ner-model (models/report-ner, local files only)', () => {
  let ner: NerModel;
  before(async () => {
    ner = await loadNerModel();
  });
  after(async () => {
    await ner.dispose();
    runCleanups();
  });

  it('ships the files transformers.js needs, small', () => {
    for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx']) {
      expect(existsSync(join(DEFAULT_MODEL_DIR, f)), f).to.equal(true);
    }
    expect(statSync(join(DEFAULT_MODEL_DIR, 'onnx/model.onnx')).size).to.be.below(5 * 1024 * 1024);
  });

  it('loads with remote loading off and leaves the library settings as they were', async () => {
    expect(ner.labels).to.include.members(['O', 'B-FINDING', 'I-ANATOMY', 'B-NEGATION', 'B-UNCERTAINTY']);
    const before = { remote: env.allowRemoteModels, path: env.localModelPath };
    const again = await loadNerModel();
    await again.dispose();
    expect({ remote: env.allowRemoteModels, path: env.localModelPath }).to.deep.equal(before);
  });

  it('a folder without the model fails locally instead of downloading', async () => {
    const empty = tempDir('pag-ner-');
    let error: unknown = null;
    try {
      await loadNerModel({ modelDir: empty });
    } catch (err) {
      error = err;
    }
    expect(error).to.include({ code: 'GW_ERR_CONFIG_INVALID' });
    expect(String(error)).to.include('onnx/model.onnx');
  });

  it('tags a known English sentence with character spans', async () => {
    const text = 'There is an 8 mm nodule in the right upper lobe.';
    const [ents] = await ner.tag([text]);
    expect(ents?.map((e) => [e.type, e.text, e.start, e.end])).to.deep.equal([
      ['MEASUREMENT', '8 mm', 12, 16], ['FINDING', 'nodule', 17, 23], ['ANATOMY', 'right upper lobe', 31, 47],
    ]);
  });

  it('tags a known Chinese sentence with character spans', async () => {
    const text = '右肺上叶见约8毫米结节。';
    const [ents] = await ner.tag([text]);
    expect(ents?.map((e) => [e.type, e.text])).to.deep.equal([
      ['ANATOMY', '右肺上叶'], ['MEASUREMENT', '8毫米'], ['FINDING', '结节'],
    ]);
    expect(ents?.[2]).to.include({ start: 9, end: 11 });
  });

  it('tags negation cues', async () => {
    const [ents] = await ner.tag(['No pleural effusion or pneumothorax.']);
    expect(ents?.map((e) => [e.type, e.text])).to.deep.equal([
      ['NEGATION', 'No'], ['FINDING', 'pleural effusion'], ['FINDING', 'pneumothorax'],
    ]);
  });

  it('its word pieces line up with our word split (no fallback), accents and odd spacing included', async () => {
    const before = ner.alignmentFallbacks;
    await ner.tag(['Café-au-lait  Ödema\t(3.5cm)… 右肺，left  LOWER lobe', '', '   ']);
    expect(ner.alignmentFallbacks).to.equal(before);
    expect(bertWords('Ödema (3.5cm)').map((w) => w.norm)).to.deep.equal(['odema', '(', '3', '.', '5cm', ')']);
  });

  it('cuts a sentence longer than one window and still tags its end', async () => {
    const text = `${'The lungs are clear. '.repeat(40)}There is a 5 mm nodule.`.replace(/\. /gu, ', ');
    const [ents] = await ner.tag([text]);
    expect(ents?.some((e) => e.type === 'FINDING' && e.text === 'nodule')).to.equal(true);
  });

  it('adds a finding the lexicon misses when the model tags it and its name is close (misspelt)', async () => {
    // a stand-in model, so the merge is tested whatever the trained model does with this word
    const text = 'There is a large left pnuemothorax.';
    const start = text.indexOf('pnuemothorax');
    const stub: NerModel = {
      modelDir: '(stub)', labels: [], alignmentFallbacks: 0, dispose: async () => undefined,
      tag: async (texts) => texts.map((t) => (t === text ? [{ type: 'FINDING' as const, start, end: start + 12, text: 'pnuemothorax' }] : [])),
    };
    const { findings } = await analyzeReport(text, { ner: stub });
    expect(findings).to.have.length(1);
    expect(findings[0]).to.include({ concept: 'pneumothorax', source: 'model', laterality: 'left', certainty: 'present' });
    expect(findings[0]?.span).to.deep.equal([start, start + 12]);
  });

  it('does not turn a model span inside a known look-alike ("soft tissue edema") into a finding', async () => {
    const text = 'Left ankle. Soft tissue edema with no visible bony injury.';
    const start = text.indexOf('edema');
    const stub: NerModel = {
      modelDir: '(stub)', labels: [], alignmentFallbacks: 0, dispose: async () => undefined,
      tag: async (texts) => texts.map((t) => (t.includes('edema') ? [{ type: 'FINDING' as const, start: t.indexOf('edema'), end: t.indexOf('edema') + 5, text: 'edema' }] : [])),
    };
    expect(start).to.be.greaterThan(0);
    const { findings } = await analyzeReport(text, { ner: stub });
    expect(findings.map((f) => f.concept)).to.not.include('edema');
    // the same span outside a look-alike is still taken
    const plain = await analyzeReport('Interstitial edema.', { ner: stub });
    expect(plain.findings.map((f) => f.concept)).to.include('edema');
  });
});
