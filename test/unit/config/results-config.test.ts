/** dicom.destinations[].results: the default, the reportSr alias (both ways), refusals, and check-config's explanation. */
import { expect } from 'chai';
import { explainConfig } from '../../../src/config/index.js';
import { validateConfig } from '../../../src/config/load.js';

const dest = (extra: Record<string, unknown>): Record<string, unknown> => ({ dicom: { destinations: [{ name: 'pacs', aeTitle: 'PACS', host: '127.0.0.1', port: 104, ...extra }] } });

function parsed(extra: Record<string, unknown>): { results: string[]; reportSr: boolean } {
  const r = validateConfig(dest(extra), 'test');
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.config.dicom.destinations[0] as { results: string[]; reportSr: boolean };
}

describe('config: dicom.destinations[].results', () => {
  it('defaults to the AI SR only', () => {
    expect(parsed({})).to.include({ reportSr: false }).and.to.have.deep.property('results', ['sr']);
  });

  it('takes reportSr: true as adding report-sr, and report-sr in results as reportSr: true', () => {
    expect(parsed({ reportSr: true })).to.deep.include({ results: ['sr', 'report-sr'], reportSr: true });
    expect(parsed({ results: ['sr', 'kos', 'summary', 'report-sr'] })).to.deep.include({ results: ['sr', 'kos', 'summary', 'report-sr'], reportSr: true });
    expect(parsed({ results: ['report-sr'], reportSr: true })).to.deep.include({ results: ['report-sr'], reportSr: true });
  });

  it('refuses an unknown object, an empty list and a duplicate, naming the key', () => {
    for (const [results, reason] of [[['sr', 'pdf'], /sr|kos|summary|report-sr/], [[], /at least one/], [['sr', 'sr'], /twice/]] as const) {
      const r = validateConfig(dest({ results }), 'test');
      expect(r.ok).to.equal(false);
      if (r.ok) continue;
      expect(r.problems[0]?.path).to.match(/^dicom\.destinations\.0\.results/);
      expect(r.problems[0]?.reason).to.match(reason);
    }
  });

  it('check-config explains what each destination receives, the reportSr alias and a KOS without its SR', () => {
    const r = validateConfig({ dicom: { destinations: [
      { name: 'pacs', aeTitle: 'PACS', host: '127.0.0.1', port: 104, results: ['sr', 'kos', 'summary'] },
      { name: 'old', aeTitle: 'OLD', host: '127.0.0.1', port: 105, reportSr: true },
      { name: 'nosr', aeTitle: 'NOSR', host: '127.0.0.1', port: 106, results: ['kos', 'summary'] },
    ] } }, 'test');
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    const text = explainConfig(r.config).join('\n');
    expect(text).to.contain('dicom.destinations.0 (pacs) receives: sr (the AI result SR (TID 1500)), kos (a Key Object Selection');
    expect(text).to.contain("reportSr: true is the same as adding 'report-sr' to results");
    expect(text).to.match(/destinations\.2 \(nosr\)[^\n]*\n {2}note: the KOS references the AI SR, which this destination does not receive/);
    expect(explainConfig({ dicom: { ...r.config.dicom, destinations: [] } })).to.deep.equal([]);
  });
});
