import { expect } from 'chai';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { appliesTo, loadModelSpecFile } from '../../../src/ai/index.js';
import { validateModelSpec } from '../../../src/ai/model-spec.js';
import { GatewayError } from '../../../src/errors.js';
import { runCleanups, tempDir } from '../../helpers/fixtures.js';
import { DEMO_DIR } from './demo-model.js';

const demoRaw = (): Record<string, unknown> => JSON.parse(readFileSync(join(DEMO_DIR, 'model-config.json'), 'utf8')) as Record<string, unknown>;

function problemPaths(raw: unknown): string[] {
  const r = validateModelSpec(raw);
  return r.ok ? [] : r.problems.map((p) => p.path).sort();
}

describe('ai/model-spec', () => {
  after(() => runCleanups());

  it('accepts the demo model-config.json, resolving paths against its folder and finding the card', () => {
    const spec = loadModelSpecFile(join(DEMO_DIR, 'model-config.json'));
    expect(spec.id).to.equal('chest-ct-nodule-demo');
    expect(spec.format).to.equal('onnx');
    expect(spec.path).to.equal(join(DEMO_DIR, 'model.onnx'));
    expect(spec.tfjsPath).to.equal(join(DEMO_DIR, 'tfjs', 'model.json'));
    expect(isAbsolute(spec.path)).to.equal(true);
    expect(spec.input).to.include({ width: 100, height: 100, channels: 3, layout: 'NHWC' });
    expect(spec.finding).to.deep.equal({ code: '786838002', scheme: 'SCT', meaning: 'Pulmonary nodule' });
    expect(spec.providers).to.equal(undefined);
  });

  it('rejects bad entries listing every problem with its key path', () => {
    const raw = demoRaw();
    const bad = {
      ...raw,
      format: 'pytorch',
      providers: ['cuda', 'tpu'],
      appliesTo: { modalities: ['CT'], bodyParts: ['CHEST'], sopClasses: ['1.2.840.10008.5.1.4.1.1.2', '1.2.x'] },
      input: { ...(raw.input as object), window: { center: -600, width: -5 }, colour: 'grey' },
      output: { labels: [], threshold: 1.5 },
    };
    expect(problemPaths(bad)).to.deep.equal([
      'appliesTo.sopClasses.1',
      'format',
      'input.colour',
      'input.window.width',
      'output.labels',
      'output.threshold',
      'providers.1',
    ]);
    const r = validateModelSpec({ ...raw, input: { ...(raw.input as object), colour: 'grey' } });
    expect(r.ok ? undefined : r.problems[0]).to.deep.equal({ path: 'input.colour', reason: 'unknown key' });
  });

  it('names missing required keys', () => {
    const { finding: _f, version: _v, ...raw } = demoRaw();
    expect(problemPaths(raw)).to.deep.equal(['finding', 'version']);
  });

  it('refuses a model folder without MODEL_CARD.md, naming the file to add', () => {
    const dir = tempDir('pag-ai-');
    writeFileSync(join(dir, 'model-config.json'), JSON.stringify(demoRaw()));
    copyFileSync(join(DEMO_DIR, 'model.onnx'), join(dir, 'model.onnx'));
    let err: unknown;
    try {
      loadModelSpecFile(join(dir, 'model-config.json'));
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(GatewayError);
    expect((err as GatewayError).code).to.equal('GW_ERR_CONFIG_INVALID');
    expect((err as GatewayError).message).to.contain('MODEL_CARD.md').and.contain(dir);
  });

  it('a config file with a bad key fails naming the file and the key', () => {
    const dir = tempDir('pag-ai-');
    const file = join(dir, 'model-config.json');
    writeFileSync(file, JSON.stringify({ ...demoRaw(), threshold: 0.5 }));
    expect(() => loadModelSpecFile(file)).to.throw(GatewayError, /model-config\.json[\s\S]*threshold: unknown key/);
  });

  it('applies to CT chest images of the CT Image Storage class only', () => {
    const spec = loadModelSpecFile(join(DEMO_DIR, 'model-config.json'));
    const ct = '1.2.840.10008.5.1.4.1.1.2';
    expect(appliesTo(spec, { modality: 'CT', bodyPart: 'chest', sopClassUid: ct })).to.equal(true);
    expect(appliesTo(spec, { modality: 'CT', sopClassUid: ct }), 'no body part: "" is listed').to.equal(true);
    expect(appliesTo(spec, { modality: 'CT', bodyPart: 'HEAD', sopClassUid: ct })).to.equal(false);
    expect(appliesTo(spec, { modality: 'MR', bodyPart: 'CHEST', sopClassUid: ct })).to.equal(false);
    expect(appliesTo(spec, { modality: 'CT', bodyPart: 'CHEST', sopClassUid: '1.2.840.10008.5.1.4.1.1.88.22' })).to.equal(false);
  });
});
