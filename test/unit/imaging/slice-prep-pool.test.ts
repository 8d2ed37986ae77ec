import { expect } from 'chai';
import { join } from 'node:path';
import { SlicePreparer, type TensorSpec } from '../../../src/imaging/index.js';
import { prepareSlices } from '../../../src/imaging/slice-prep.js';
import type { GatewayError } from '../../../src/errors.js';
import { CORPUS } from '../../helpers/fixtures.js';

const SPEC: TensorSpec = { width: 64, height: 64, channels: 3, layout: 'NHWC', window: { center: 40, width: 400 }, normalize: { min: 0, max: 1 } };

describe('imaging/SlicePreparer (decode + preprocess in worker threads)', () => {
  let pool: SlicePreparer;
  before(() => {
    pool = new SlicePreparer(2);
  });
  after(() => pool.close());

  it('gives the same tensors as preparing inline, for native, J2K and a 2-frame RLE colour image', async () => {
    for (const name of ['pydicom__CT_small.dcm', 'pydicom__JPEG2000.dcm', 'pydicom__SC_rgb_rle_2frame.dcm']) {
      const path = join(CORPUS, 'dicom', name);
      const [pooled, inline] = await Promise.all([pool.prepare(path, SPEC), prepareSlices(path, SPEC)]);
      if (pooled.kind !== 'prepared' || inline.kind !== 'prepared') throw new Error(`${name}: ${JSON.stringify(pooled)}`);
      expect(pooled.tensors.length, name).to.equal(inline.tensors.length);
      pooled.tensors.forEach((t, i) => expect(Array.from(t), `${name} frame ${i}`).to.deep.equal(Array.from(inline.tensors[i] ?? [])));
    }
    const twoFrames = await pool.prepare(join(CORPUS, 'dicom', 'pydicom__SC_rgb_rle_2frame.dcm'), SPEC);
    expect(twoFrames.kind === 'prepared' ? twoFrames.tensors.length : 0).to.equal(2);
  });

  it('reports an instance without pixels as undecodable, with the reason', async () => {
    const r = await pool.prepare(join(CORPUS, 'dicom', 'pydicom__test-SR.dcm'), SPEC);
    expect(r.kind).to.equal('undecodable');
    expect(r.kind === 'undecodable' ? r.reason : '').to.match(/pixel/i);
  });

  it('rejects with the path when the file cannot be read, and keeps working', async () => {
    let error: Error | undefined;
    await pool.prepare('/nonexistent/x.dcm', SPEC).catch((e: Error) => (error = e));
    expect(error?.message).to.match(/ENOENT.*\/nonexistent\/x\.dcm/);
    expect((await pool.prepare(join(CORPUS, 'dicom', 'pydicom__CT_small.dcm'), SPEC)).kind).to.equal('prepared');
  });

  it('answers 20 requests in flight at once, each exactly once', async () => {
    const path = join(CORPUS, 'dicom', 'pydicom__MR_small.dcm');
    const all = await Promise.all(Array.from({ length: 20 }, () => pool.prepare(path, SPEC)));
    expect(all.filter((r) => r.kind === 'prepared')).to.have.length(20);
    // each reply went to its own request: every buffer is distinct (transferred, not shared)
    expect(new Set(all.map((r) => (r.kind === 'prepared' ? r.tensors[0]?.buffer : undefined))).size).to.equal(20);
  });

  it('close() rejects the requests still in flight instead of leaving them pending', async () => {
    const closing = new SlicePreparer(1);
    const pending = closing.prepare(join(CORPUS, 'dicom', 'pydicom__JPEG2000.dcm'), SPEC);
    await closing.close();
    const err = await pending.then(() => undefined, (e: unknown) => e as GatewayError);
    expect(err?.code).to.equal('GW_ERR_SHUTTING_DOWN');
  });
});
