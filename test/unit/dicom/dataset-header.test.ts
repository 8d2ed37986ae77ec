import { expect } from 'chai';
import { deflateRawSync } from 'node:zlib';
import { readDatasetHeader } from '../../../src/dicom/dataset-header.js';
import { TransferSyntax } from '../../../src/dicom/uids.js';
import { deflatedWithZeros, element, elementHeader, minimalDataset, privateZerosHeader, sopElements, studySeriesElements, type Identifiers } from '../../helpers/crafted-dataset.js';

const ELE = TransferSyntax.ExplicitVRLittleEndian;
const DEFLATED = TransferSyntax.DeflatedExplicitVRLittleEndian;
const IDS: Identifiers = { sopClassUid: '1.2.840.10008.5.1.4.1.1.2', sopInstanceUid: '1.2.3.4.5', studyInstanceUid: '1.2.3.4', seriesInstanceUid: '1.2.3.4.6' };

function reasonOf(result: ReturnType<typeof readDatasetHeader>): string {
  return result.kind === 'unreadable' ? result.reason : `not refused (${result.kind})`;
}

describe('dicom/dataset-header', () => {
  it('reads the identifying UIDs of a well-formed dataset, trailing NUL padding dropped', () => {
    const r = readDatasetHeader(minimalDataset({ ...IDS, sopInstanceUid: '1.2.3.4.55' }), ELE, true);
    expect(r.kind === 'ok' && [r.header.sopInstanceUid, r.header.studyInstanceUid, r.header.seriesInstanceUid]).to.deep.equal(['1.2.3.4.55', '1.2.3.4', '1.2.3.4.6']);
    const padded = readDatasetHeader(minimalDataset({ ...IDS, studyInstanceUid: '1.2.345' }), ELE, true); // odd: one NUL of padding
    expect(padded.kind === 'ok' && padded.header.studyInstanceUid).to.equal('1.2.345');
  });

  it('refuses a UID with a NUL inside its value instead of truncating it there', () => {
    const r = readDatasetHeader(minimalDataset({ ...IDS, studyInstanceUid: '1.2.3\u0000.99.7' }), ELE, true);
    expect(reasonOf(r)).to.match(/^\(0020,000D\) Study Instance UID has NUL inside its value; only trailing padding may be NUL/);
    const sop = readDatasetHeader(minimalDataset({ ...IDS, sopInstanceUid: '1.2.3.4.5\u00001' }), ELE, true);
    expect(reasonOf(sop)).to.match(/^\(0008,0018\) SOP Instance UID has NUL inside/);
  });

  it('refuses a whole dataset in which an element after the identifying ones runs past its end', () => {
    const overrun = Buffer.concat([minimalDataset(IDS), elementHeader(0x0020, 0x0013, 'IS', 200), Buffer.from('12')]);
    expect(reasonOf(readDatasetHeader(overrun, ELE, true))).to.match(/^\(0020,0013\) runs past the dataset end: it declares 200 bytes, 2 remain/);
  });

  it('refuses a whole dataset whose Pixel Data is shorter than its declared length', () => {
    const truncated = Buffer.concat([minimalDataset(IDS), elementHeader(0x7fe0, 0x0010, 'OW', 4096), Buffer.alloc(100)]);
    expect(reasonOf(readDatasetHeader(truncated, ELE, true))).to.match(/^\(7FE0,0010\) Pixel Data runs past the dataset end: it declares 4096 bytes, 100 remain/);
  });

  it('does not call a prefix malformed because an element runs past the end of the prefix', () => {
    const prefix = Buffer.concat([minimalDataset(IDS), elementHeader(0x0028, 0x1201, 'OW', 8192), Buffer.alloc(10)]);
    expect(readDatasetHeader(prefix, ELE, false).kind).to.equal('ok');
  });

  it('reads a deflated dataset whose large Pixel Data of zeros comes after the identifying attributes', () => {
    const pixelHeader = elementHeader(0x7fe0, 0x0010, 'OB', 48 * 1024 * 1024);
    const deflated = deflatedWithZeros(Buffer.concat([minimalDataset(IDS), pixelHeader]), 48, Buffer.alloc(0));
    const started = Date.now();
    const r = readDatasetHeader(deflated, DEFLATED, true);
    expect(r.kind === 'ok' && r.header.seriesInstanceUid).to.equal(IDS.seriesInstanceUid);
    expect(Date.now() - started, 'only the start is inflated').to.be.below(200);
  });

  it('refuses a deflate bomb: identifying attributes behind 256 MiB of zeros, inflating only up to the limit', () => {
    const bomb = deflatedWithZeros(Buffer.concat([sopElements(IDS), privateZerosHeader(256)]), 256, studySeriesElements(IDS));
    expect(bomb.length).to.be.below(2 * 1024 * 1024);
    const rssBefore = process.memoryUsage().rss;
    const started = Date.now();
    const r = readDatasetHeader(bomb, DEFLATED, true);
    expect(reasonOf(r)).to.match(/^inflated past 4 MiB before its UIDs: .*within 4194304 inflated bytes/);
    expect(Date.now() - started, 'ms on the event loop').to.be.below(250);
    expect(process.memoryUsage().rss - rssBefore).to.be.below(64 * 1024 * 1024);
  });

  it('reads a small deflated dataset whole and refuses one cut off in the middle of the stream', () => {
    const whole = deflateRawSync(minimalDataset(IDS));
    expect(readDatasetHeader(whole, DEFLATED, true).kind).to.equal('ok');
    const withUnknown = deflateRawSync(Buffer.concat([minimalDataset(IDS), element(0x0010, 0x0010, 'PN', 'DOE^J')]));
    expect(readDatasetHeader(withUnknown.subarray(0, withUnknown.length - 4), DEFLATED, false).kind).to.not.equal('unreadable');
  });
});
