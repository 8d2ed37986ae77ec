/**
 * TLS keys in the config: their defaults and rules, the commented TLS examples in config/example.yaml, and
 * certificate/key/CA files that are missing or not usable reported at validation with the key path and reason.
 * (A key that does not match its certificate needs real certificates: test/interop/tls-config.test.ts.)
 */
import { expect } from 'chai';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { configSchema } from '../../../src/config/schema.js';
import { validateConfig } from '../../../src/config/load.js';
import { REPO_ROOT, tempDir } from '../../helpers/fixtures.js';

function problemsOf(raw: unknown): Array<{ path: string; reason: string }> {
  const r = validateConfig(raw, 'test');
  return r.ok ? [] : r.problems;
}

/** config/example.yaml with every commented-out `tls:` block (and the TLS destination examples) uncommented. */
function exampleWithTls(): unknown {
  const lines = readFileSync(join(REPO_ROOT, 'config', 'example.yaml'), 'utf8').split('\n');
  const out: string[] = [];
  // `destinations: []` becomes a block sequence once its example item is uncommented
  const openList = (): void => {
    for (let k = out.length - 1; k >= 0; k--) {
      if (/destinations: \[\]$/.test(out[k] as string)) {
        out[k] = (out[k] as string).replace(' []', '');
        return;
      }
    }
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const block = /^(\s*)# (tls:|- name: \w+-tls)$/.exec(line);
    if (block === null) {
      // a one-line destination example with tls
      const oneLine = /^(\s*)# (- \{ name: \w+-tls,.*)$/.test(line);
      if (oneLine) openList();
      out.push(oneLine ? line.replace('# ', '') : line);
      continue;
    }
    if ((block[2] as string).startsWith('-')) openList();
    const indent = block[1] as string;
    out.push(indent + (block[2] as string));
    while (i + 1 < lines.length && (lines[i + 1] as string).startsWith(`${indent}#   `)) out.push(indent + (lines[++i] as string).slice(indent.length + 2));
  }
  return parse(out.join('\n'));
}

describe('config: TLS', () => {
  it('the TLS examples in config/example.yaml are valid keys with the documented defaults', () => {
    const raw = exampleWithTls() as { dicom: { destinations: unknown[] }; hl7: { destinations: unknown[] } };
    expect(raw.dicom.destinations, 'the DICOM TLS destination example was uncommented').to.have.length(1);
    expect(raw.hl7.destinations).to.have.length(1);
    const r = configSchema.safeParse(raw); // schema only: the example's files do not exist here
    expect(r.success, JSON.stringify(r.error?.issues)).to.equal(true);
    if (!r.success) return;
    expect(r.data.dicom.tls).to.include({ port: 2762, requireClientCert: false, keepPlainPort: true });
    expect(r.data.hl7.tls).to.deep.include({ port: 2576, allowedClientNames: [] });
    expect(r.data.dicom.destinations[0]?.tls).to.include({ rejectUnauthorized: true });
  });

  it('no TLS unless asked for', () => {
    const r = validateConfig({}, 'defaults');
    expect(r.ok && r.config.dicom.tls).to.equal(undefined);
    expect(r.ok && r.config.hl7.tls).to.equal(undefined);
  });

  it('requireClientCert needs caFile; certFile and keyFile of a destination go together', () => {
    const problems = problemsOf({
      dicom: {
        tls: { certFile: '/x.crt', keyFile: '/x.key', requireClientCert: true },
        destinations: [{ name: 'p', aeTitle: 'P', host: 'h', port: 1, tls: { certFile: '/c.crt' } }],
      },
    });
    expect(problems.map((p) => p.path).sort()).to.deep.equal(['dicom.destinations.0.tls.keyFile', 'dicom.tls.caFile']);
  });

  it('missing, unreadable, non-PEM and encrypted files: every one listed with its key path, the path and the reason', () => {
    const dir = tempDir('pag-tls-cfg-');
    const garbage = join(dir, 'garbage.pem');
    writeFileSync(garbage, 'this is not PEM\n');
    const encrypted = join(dir, 'encrypted.key');
    writeFileSync(encrypted, generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'secret' }) as string);
    const problems = problemsOf({
      dicom: { tls: { certFile: join(dir, 'missing.crt'), keyFile: garbage, caFile: garbage } },
      hl7: {
        tls: { certFile: garbage, keyFile: encrypted },
        destinations: [{ name: 'ris', host: 'h', port: 1, tls: { caFile: dir } }],
      },
    });
    const byPath = Object.fromEntries(problems.map((p) => [p.path, p.reason]));
    expect(Object.keys(byPath).sort()).to.deep.equal([
      'dicom.tls.caFile',
      'dicom.tls.certFile',
      'dicom.tls.keyFile',
      'hl7.destinations.0.tls.caFile',
      'hl7.tls.certFile',
      'hl7.tls.keyFile',
    ]);
    expect(byPath['dicom.tls.certFile']).to.equal(`cannot read ${join(dir, 'missing.crt')}: ENOENT`);
    expect(byPath['dicom.tls.keyFile']).to.equal(`${garbage}: not a PEM private key`);
    expect(byPath['dicom.tls.caFile']).to.match(/no PEM certificate in it/);
    expect(byPath['hl7.tls.keyFile']).to.match(/the key is encrypted/);
    expect(byPath['hl7.destinations.0.tls.caFile']).to.equal(`cannot read ${dir}: EISDIR`);
  });
});
