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

  it('recognises storage SOP classes, retired ones included', () => {
    for (const uid of [
      '1.2.840.10008.5.1.4.1.1.2', // CT Image
      '1.2.840.10008.5.1.4.1.1.88.34', // Comprehensive 3D SR
      '1.2.840.10008.5.1.4.34.7', // RT Beams Delivery Instruction
      '1.2.840.10008.5.1.4.1.1.5', // NM Image (retired)
      '1.2.840.10008.5.1.4.1.1.6', // US Image (retired)
    ]) {
      expect(isStorageSopClass(uid), uid).to.equal(true);
    }
  });

  it('refuses what shares a storage UID prefix but is not storage, and non-patient objects', () => {
    for (const uid of [
      '1.2.840.10008.5.1.4.34.6.1', // UPS Push
      '1.2.840.10008.5.1.4.34.6.4', // UPS Event
      '1.2.840.10008.5.1.4.34.4.1', // UPS Push Trial (retired)
      '1.2.840.10008.5.1.4.34.8', // RT Conventional Machine Verification
      '1.2.840.10008.5.1.4.34.9', // RT Ion Machine Verification
      '1.2.840.10008.5.1.4.1.1.201.2', // Inventory FIND
      '1.2.840.10008.5.1.4.38.1', // Hanging Protocol Storage: no Study Instance UID to file it under
      '1.2.840.10008.1.3.10', // Media Storage Directory (DICOMDIR), never sent by C-STORE
      '1.2.840.10008.5.1.4.1.2.2.1', // Study Root Q/R FIND
      '1.2.840.10008.1.1', // Verification: accepted, but not as storage
      '1.2.840.10008.5.1.4.1.1.2.9', // below CT Image, not assigned
    ]) {
      expect(isStorageSopClass(uid), uid).to.equal(false);
    }
  });
});
