import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { STORAGE_SOP_CLASSES } from '../../../src/dicom/storage-sop-classes.js';
import { parseUid } from '../../../src/dicom/uids.js';
import { REPO_ROOT } from '../../helpers/fixtures.js';

/** The extract the generator reads (scripts/data/storage-sop-classes.tsv), row by row. */
function extractRows(): Array<{ uid: string; name: string; retired: boolean }> {
  const [header, ...lines] = readFileSync(join(REPO_ROOT, 'scripts/data/storage-sop-classes.tsv'), 'utf8').split('\n');
  expect(header).to.equal('uid\tname\tretired');
  return lines
    .filter((l) => l !== '')
    .map((l) => {
      const [uid = '', name = '', retired = ''] = l.split('\t');
      return { uid, name, retired: retired === 'retired' };
    });
}

describe('dicom/storage-sop-classes (generated)', () => {
  it('equals the shipped extract row for row (run node scripts/gen-storage-sop-classes.mjs after editing it)', () => {
    expect(STORAGE_SOP_CLASSES.map((c) => ({ ...c }))).to.deep.equal(extractRows());
  });

  it('holds valid, distinct UIDs of the DICOM root only', () => {
    const uids = STORAGE_SOP_CLASSES.map((c) => c.uid);
    expect(new Set(uids).size).to.equal(uids.length);
    for (const uid of uids) {
      expect(parseUid(uid), uid).to.equal(uid);
      expect(uid.startsWith('1.2.840.10008.5.1.'), uid).to.equal(true);
    }
  });

  it('names every class a storage class, and marks the retired ones that a PACS may still route', () => {
    for (const c of STORAGE_SOP_CLASSES) expect(c.name, c.uid).to.match(/Storage/);
    const retired = STORAGE_SOP_CLASSES.filter((c) => c.retired).map((c) => c.uid);
    expect(retired).to.include.members(['1.2.840.10008.5.1.4.1.1.5', '1.2.840.10008.5.1.4.1.1.6', '1.2.840.10008.5.1.4.1.1.3']);
    expect(retired).to.have.length(20);
  });
});
