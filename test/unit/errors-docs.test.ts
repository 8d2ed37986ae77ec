import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_CODES } from '../../src/errors.js';
import { REPO_ROOT } from '../helpers/fixtures.js';

describe('docs/errors.md', () => {
  it('has exactly one row per error code, with the DICOM status the code maps to', () => {
    const doc = readFileSync(join(REPO_ROOT, 'docs', 'errors.md'), 'utf8');
    const rows = [...doc.matchAll(/^\| (GW_ERR_[A-Z_]+) \|.*\| ([^|]*) \| ([^|]*) \|$/gm)];
    expect(rows.map((r) => r[1]).sort()).to.deep.equal(Object.keys(ERROR_CODES).sort());
    for (const r of rows) {
      const mapping = ERROR_CODES[r[1] as keyof typeof ERROR_CODES];
      if (mapping.dicomStatus !== null) expect(r[2]?.trim(), r[1]).to.equal(mapping.dicomStatus.toString(16).toUpperCase().padStart(4, '0'));
      expect(r[3]?.trim(), r[1]).to.equal(mapping.http === null ? '–' : String(mapping.http));
    }
  });
});
