/**
 * Every code the SR builder writes, checked against pydicom's concept dictionary (`pydicom/sr/_concepts_dict.py`,
 * generated from the DICOM PS3.16 code tables): same value, scheme and meaning. The few template-row concepts that
 * belong to no CID are absent from it; they are listed here with where they were checked instead.
 */
import { expect } from 'chai';
import { Codes, FindingCodes } from '../../src/results/sr/codes.js';
import { KeyObjectCodes } from '../../src/results/kos.js';
import { requirePeers, run } from '../helpers/peers.js';

const SCRIPT = `
import json
from pydicom.sr._concepts_dict import concepts
out = {}
for scheme, by_keyword in concepts.items():
    for codes in by_keyword.values():
        for code, (meaning, cids) in codes.items():
            out.setdefault(scheme + '|' + code, []).append([meaning, cids])
print(json.dumps(out))
`;

/** In no PS3.16 CID, so not in pydicom's tables; verified against highdicom and the HL7 DICOM SR IG (docs/sr.md). */
const TEMPLATE_ONLY = new Set(['UMLS|C0034375', 'SCT|260753009', 'RFC5646|en-US']);

describe('interop: SR codes against pydicom’s PS3.16 concept dictionary', function () {
  this.timeout(60_000);
  let dictionary: Record<string, Array<[string, number[]]>>;

  before(async function () {
    requirePeers(this, '/usr/bin/python3');
    const r = await run('/usr/bin/python3', ['-c', SCRIPT]);
    expect(r.code, r.stderr).to.equal(0);
    dictionary = JSON.parse(r.stdout) as typeof dictionary;
  });

  for (const [key, concept] of Object.entries({ ...Codes, ...FindingCodes, ...KeyObjectCodes })) {
    const id = `${concept.scheme}|${concept.value}`;
    it(`${key} (${concept.value}, ${concept.scheme}, "${concept.meaning}")`, () => {
      if (TEMPLATE_ONLY.has(id)) {
        expect(dictionary[id], `${id} is now in pydicom's tables: check it there`).to.equal(undefined);
        return;
      }
      const entries = dictionary[id];
      expect(entries, `${id} not in PS3.16 per pydicom`).to.not.equal(undefined);
      expect((entries ?? []).map(([meaning]) => meaning)).to.include(concept.meaning);
    });
  }
});
