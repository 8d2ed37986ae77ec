import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../../src/config/index.js';
import { validateConfig } from '../../../src/config/load.js';
import { REPO_ROOT, tempDir } from '../../helpers/fixtures.js';

function problemsOf(raw: unknown): Array<{ path: string; reason: string }> {
  const r = validateConfig(raw, 'test');
  return r.ok ? [] : r.problems;
}

describe('config', () => {
  it('embedded defaults: AE AIGATEWAY on 11112, any calling AE from loopback only', () => {
    const r = validateConfig({}, 'embedded defaults');
    expect(r.ok).to.equal(true);
    if (!r.ok) return;
    expect(r.config.dicom.aeTitle).to.equal('AIGATEWAY');
    expect(r.config.dicom.port).to.equal(11112);
    expect(r.config.dicom.allowedPeers.map((p) => p.host)).to.deep.equal(['127.0.0.1', '::1']);
    expect(Object.isFrozen(r.config.dicom)).to.equal(true);
  });

  it('the documented example config parses with the schema', () => {
    const r = loadConfig(join(REPO_ROOT, 'config', 'example.yaml'));
    expect(r.ok, JSON.stringify(r.ok ? '' : r.problems)).to.equal(true);
  });

  it('lists every problem at once with its dotted key path', () => {
    const problems = problemsOf({
      dicom: { port: 70000, aeTitle: 'THIS-AE-TITLE-IS-TOO-LONG', allowedPeers: [{ aeTitle: 'PACS', host: 'pacs.example' }], colour: 'blue' },
      http: { port: 'eighty' },
    });
    const paths = problems.map((p) => p.path).sort();
    expect(paths).to.deep.equal(['dicom.aeTitle', 'dicom.allowedPeers.0.host', 'dicom.colour', 'dicom.port', 'http.port']);
    expect(problems.find((p) => p.path === 'dicom.colour')?.reason).to.equal('unknown key');
  });

  it('checks allow-list entries with the parser the listeners use, naming the entry', () => {
    const problems = problemsOf({ hl7: { allowedHosts: ['10.0.0.0/8', '10.0.0.0/33'] }, dicom: { allowedPeers: [{ aeTitle: '*', host: 'fd00::/129' }] } });
    expect(problems.map((p) => [p.path, p.reason])).to.deep.equal([
      ['dicom.allowedPeers.0.host', '"fd00::/129" is not an IP address or CIDR block such as 127.0.0.1 or 10.20.0.0/16'],
      ['hl7.allowedHosts.1', '"10.0.0.0/33" is not an IP address or CIDR block such as 127.0.0.1 or 10.20.0.0/16'],
    ]);
  });

  it('checks AE titles with the parser the SCP, SCU and CLI use, and keeps them trimmed', () => {
    const r = validateConfig({ dicom: { aeTitle: ' GATEWAY ', allowedPeers: [{ aeTitle: 'PACS ', host: '127.0.0.1' }] } }, 'test');
    expect(r.ok).to.equal(true);
    if (r.ok) expect([r.config.dicom.aeTitle, r.config.dicom.allowedPeers[0]?.aeTitle]).to.deep.equal(['GATEWAY', 'PACS']);
    const problems = problemsOf({ dicom: { aeTitle: 'A\\B', destinations: [{ name: 'p', aeTitle: '   ', host: 'h', port: 104 }] } });
    expect(problems.map((p) => p.path)).to.deep.equal(['dicom.aeTitle', 'dicom.destinations.0.aeTitle']);
    expect(problems[0]?.reason).to.contain('"A\\\\B" is not an AE title: it has a backslash');
  });

  it('names the replacement of a renamed key instead of calling it unknown', () => {
    const problems = problemsOf({ dicom: { quietSeconds: 5 } });
    expect(problems).to.have.length(1);
    expect(problems[0]?.path).to.equal('dicom.quietSeconds');
    expect(problems[0]?.reason).to.contain('dicom.studyQuietSeconds');
  });

  it('reports YAML syntax errors and duplicate keys as problems, not crashes', () => {
    const dir = tempDir();
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'dicom:\n  port: 1\n  port: 2\n');
    const r = loadConfig(file);
    expect(r.ok).to.equal(false);
  });
});
