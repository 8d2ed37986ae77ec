import { expect } from 'chai';
import { parseUid } from '../../../src/dicom/index.js';
import { deriveUid } from '../../../src/results/index.js';
import { Codes, CodingScheme, FindingCodes } from '../../../src/results/sr/codes.js';

describe('results/sr code tables', () => {
  const all = Object.entries({ ...Codes, ...FindingCodes });

  it('every concept uses a standard coding scheme designator, never the retired SNOMED-RT "SRT"', () => {
    const schemes = new Set<string>(Object.values(CodingScheme));
    for (const [key, c] of all) {
      expect(schemes.has(c.scheme), `${key} uses ${c.scheme}`).to.equal(true);
      expect(c.scheme, key).to.not.equal('SRT');
    }
  });

  it('code values have the form of their scheme: DCM and SCT numeric, UMLS C-ids, UCUM units, RFC 5646 tags', () => {
    const forms: Record<string, RegExp> = { DCM: /^1\d{5}$/, SCT: /^[1-9]\d{5,17}$/, UMLS: /^C\d{7}$/, UCUM: /^\S+$/, RFC5646: /^[a-z]{2,3}(-[A-Z]{2})?$/, RADLEX: /^RID\d+$/ };
    for (const [key, c] of all) {
      const form = forms[c.scheme];
      expect(form, `no form known for ${c.scheme}`).to.not.equal(undefined);
      expect(c.value, key).to.match(form as RegExp);
      expect(c.meaning.length, key).to.be.within(1, 64);
    }
  });

  it('uses the PS3.16 codes for the concepts that are easy to get wrong', () => {
    expect(Codes.Absent).to.deep.equal({ value: '272519000', scheme: 'SCT', meaning: 'Absent' }); // not 2667000
    expect(Codes.Present).to.deep.equal({ value: '52101004', scheme: 'SCT', meaning: 'Present' });
    expect(Codes.ProcessingEquipment).to.deep.equal({ value: '109102', scheme: 'DCM', meaning: 'Processing Equipment' });
    expect(Codes.Device).to.deep.equal({ value: '121007', scheme: 'DCM', meaning: 'Device' });
    expect(Codes.NoUnits).to.deep.equal({ value: '1', scheme: 'UCUM', meaning: 'no units' });
  });

  it('no two entries share a code unless they are the same concept', () => {
    const seen = new Map<string, string>();
    for (const [key, c] of all) {
      const id = `${c.scheme}:${c.value}`;
      expect(seen.get(id), `${key} duplicates ${seen.get(id)}`).to.equal(undefined);
      seen.set(id, key);
    }
  });
});

describe('results deriveUid', () => {
  it('gives a valid 2.25 UID: ≤ 64 characters, no leading zeros, a version-8 RFC 9562 UUID inside', () => {
    for (let i = 0; i < 200; i++) {
      const uid = deriveUid('1.2.3', 'model', String(i));
      expect(parseUid(uid), uid).to.equal(uid);
      expect(uid.length).to.be.at.most(44);
      const hex = BigInt(uid.slice('2.25.'.length)).toString(16).padStart(32, '0');
      expect(hex[12], 'version nibble').to.equal('8');
      expect(['8', '9', 'a', 'b'], 'variant bits 10').to.include(hex[16]);
    }
  });

  it('is a function of its parts, and part boundaries matter', () => {
    expect(deriveUid('a', 'b')).to.equal(deriveUid('a', 'b'));
    expect(deriveUid('a', 'b')).to.not.equal(deriveUid('b', 'a'));
    expect(deriveUid('a|b', 'c')).to.not.equal(deriveUid('a', 'b|c'));
    expect(deriveUid('ab')).to.not.equal(deriveUid('a', 'b'));
  });
});
