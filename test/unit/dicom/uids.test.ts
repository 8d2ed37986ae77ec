import { expect } from 'chai';
import { isStorageSopClass, parseUid } from '../../../src/dicom/uids.js';

describe('dicom/uids', () => {
  it('accepts valid UIDs and strips DICOM padding', () => {
    expect(parseUid('1.2.840.10008.5.1.4.1.1.2\0')).to.equal('1.2.840.10008.5.1.4.1.1.2');
    expect(parseUid('2.25.0 ')).to.equal('2.25.0');
  });

  it('refuses anything that could name another path or is not a UID', () => {
    for (const bad of ['', '../../etc/passwd', '1.2.3/../../x', '1.2..3', '.1.2', '1.2.', '1.02.3', '1.2.a', `1.${'2'.repeat(64)}`, '1.2 3']) {
      expect(parseUid(bad), bad).to.equal(undefined);
    }
  });

  it('recognises storage SOP classes and nothing else', () => {
    expect(isStorageSopClass('1.2.840.10008.5.1.4.1.1.88.34')).to.equal(true);
    expect(isStorageSopClass('1.2.840.10008.5.1.4.34.7')).to.equal(true);
    expect(isStorageSopClass('1.2.840.10008.5.1.4.1.2.2.1')).to.equal(false); // Study Root Q/R FIND
    expect(isStorageSopClass('1.2.840.10008.1.1')).to.equal(false);
  });
});
