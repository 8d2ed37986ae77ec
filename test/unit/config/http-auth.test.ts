import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateConfig } from '../../../src/config/load.js';
import { tempDir } from '../../helpers/fixtures.js';

const TOKEN = '3f9c2a7d8e1b4c6a9d0e2f4a6b8c0d1e';

function problemsOf(raw: unknown): Array<{ path: string; reason: string }> {
  const r = validateConfig(raw, 'test');
  return r.ok ? [] : r.problems;
}

describe('config: http bearer token', () => {
  it('refuses an HTTP listener off loopback without a token, naming both keys and the safe default', () => {
    for (const host of ['0.0.0.0', '::', '10.20.0.5']) {
      const problems = problemsOf({ http: { host } });
      expect(problems.map((p) => p.path), host).to.deep.equal(['http.authToken']);
      expect(problems[0]?.reason).to.contain('http.authTokenFile').and.to.contain('127.0.0.1').and.to.contain(host);
    }
  });

  it('needs no token on loopback (127.0.0.0/8, ::1, IPv4-mapped)', () => {
    for (const host of ['127.0.0.1', '127.0.0.2', '::1', '::ffff:127.0.0.1']) expect(problemsOf({ http: { host } }), host).to.deep.equal([]);
  });

  it('accepts a listener off loopback with a token, and refuses short or header-unsafe tokens', () => {
    const r = validateConfig({ http: { host: '0.0.0.0', authToken: TOKEN } }, 'test');
    expect(r.ok).to.equal(true);
    if (r.ok) expect(r.config.http.authToken).to.equal(TOKEN);
    for (const bad of ['short-token', 'has a space in the middle 1234', 'tab\tin-the-token-0123456789']) {
      expect(problemsOf({ http: { authToken: bad } }).map((p) => p.path), bad).to.deep.equal(['http.authToken']);
    }
  });

  it('reads the token from http.authTokenFile (first line, trimmed) and carries it as http.authToken', () => {
    const file = join(tempDir('pag-token-'), 'http-token');
    writeFileSync(file, `${TOKEN}\n`, { mode: 0o600 });
    const r = validateConfig({ http: { host: '0.0.0.0', authTokenFile: file } }, 'test');
    expect(r.ok, JSON.stringify(r.ok ? '' : r.problems)).to.equal(true);
    if (r.ok) expect(r.config.http.authToken).to.equal(TOKEN);
  });

  it('reports a missing or unusable token file, and a token given twice', () => {
    const dir = tempDir('pag-token-');
    const missing = problemsOf({ http: { host: '0.0.0.0', authTokenFile: join(dir, 'absent') } });
    expect(missing.map((p) => p.path)).to.deep.equal(['http.authTokenFile']);
    expect(missing[0]?.reason).to.contain(join(dir, 'absent'));
    const empty = join(dir, 'empty');
    writeFileSync(empty, '\n');
    expect(problemsOf({ http: { authTokenFile: empty } }).map((p) => p.path)).to.deep.equal(['http.authTokenFile']);
    expect(problemsOf({ http: { authToken: TOKEN, authTokenFile: empty } }).map((p) => p.path)).to.deep.equal(['http.authTokenFile']);
  });
});
