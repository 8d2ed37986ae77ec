import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_CODES } from '../../src/errors.js';
import { REPO_ROOT } from '../helpers/fixtures.js';

describe('docs/errors.md', () => {
  it('has exactly one row per error code, with the DICOM status, HL7 ACK and HTTP status the code maps to', () => {
    const doc = readFileSync(join(REPO_ROOT, 'docs', 'errors.md'), 'utf8');
    const rows = [...doc.matchAll(/^\| (GW_ERR_[A-Z0-9_]+) \|.*\| ([^|]*) \| ([^|]*) \| ([^|]*) \|$/gm)];
    expect(rows.map((r) => r[1]).sort()).to.deep.equal(Object.keys(ERROR_CODES).sort());
    for (const r of rows) {
      const mapping = ERROR_CODES[r[1] as keyof typeof ERROR_CODES];
      const dicom = mapping.dicomStatus === null ? '–' : mapping.dicomStatus.toString(16).toUpperCase().padStart(4, '0');
      const hl7: { ack: string; condition: string } | null = mapping.hl7;
      expect(r[2]?.trim(), `${r[1]} DICOM`).to.equal(dicom);
      expect(r[3]?.trim(), `${r[1]} HL7`).to.equal(hl7 === null ? '–' : `${hl7.ack}, ERR ${hl7.condition}`);
      expect(r[4]?.trim(), `${r[1]} HTTP`).to.equal(mapping.http === null ? '–' : String(mapping.http));
    }
  });
});
