/**
 * TLS test material made at test time with the openssl CLI (nothing committed): a CA, a server certificate for
 * 127.0.0.1/localhost, client certificates, and a second CA nobody trusts; plus a logger whose lines a test reads.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/log.js';
import { tempDir } from './fixtures.js';

export interface CertPair {
  certFile: string;
  keyFile: string;
}

export interface TestPki {
  dir: string;
  /** The CA that signs everything below. */
  caFile: string;
  /** CN=localhost, subjectAltName DNS:localhost, IP:127.0.0.1. */
  server: CertPair;
  /** The same names with O=PAG Renewed: the server's next certificate (reload tests). */
  renewedServer: CertPair;
  /** CN=modality-1 and CN=intruder, both signed by the CA. */
  client: CertPair;
  otherClient: CertPair;
  /** A second CA (its own self-signed certificate), and a client certificate it signed: trusted by nobody here. */
  otherCaFile: string;
  rogueClient: CertPair;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

function makeCa(dir: string, name: string, cn: string): void {
  openssl(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=${cn}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
}

function makeLeaf(dir: string, ca: string, name: string, cn: string, san: string, org = 'PAG Test'): CertPair {
  writeFileSync(join(dir, `${name}.ext`), `basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=${san}\n`);
  openssl(dir, ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/O=${org}/CN=${cn}`]);
  openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`]);
  return { certFile: join(dir, `${name}.crt`), keyFile: join(dir, `${name}.key`) };
}

/** A fresh PKI in a temp dir (a second or two of RSA key generation). */
export function makeTestPki(): TestPki {
  const dir = tempDir('pag-pki-');
  makeCa(dir, 'ca', 'PAG Test CA');
  makeCa(dir, 'other-ca', 'Untrusted CA');
  return {
    dir,
    caFile: join(dir, 'ca.crt'),
    server: makeLeaf(dir, 'ca', 'server', 'localhost', 'DNS:localhost,IP:127.0.0.1'),
    renewedServer: makeLeaf(dir, 'ca', 'renewed-server', 'localhost', 'DNS:localhost,IP:127.0.0.1', 'PAG Renewed'),
    client: makeLeaf(dir, 'ca', 'client', 'modality-1', 'DNS:modality-1.example'),
    otherClient: makeLeaf(dir, 'ca', 'other-client', 'intruder', 'DNS:intruder.example'),
    otherCaFile: join(dir, 'other-ca.crt'),
    rogueClient: makeLeaf(dir, 'other-ca', 'rogue-client', 'modality-1', 'DNS:modality-1.example'),
  };
}

export interface CapturedLog {
  log: Logger;
  /** Parsed JSON lines logged so far. */
  lines(): Array<Record<string, unknown>>;
  /** Lines whose message is `message`. */
  find(message: string): Array<Record<string, unknown>>;
}

/** A debug-level logger into memory (set TEST_LOG to also see it on stdout). */
export function captureLog(): CapturedLog {
  const raw: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      raw.push(chunk.toString());
      if (process.env.TEST_LOG) process.stdout.write(chunk);
      done();
    },
  });
  const log = createLogger({ level: 'debug', stream });
  const lines = (): Array<Record<string, unknown>> =>
    raw.join('').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
  return { log, lines, find: (message) => lines().filter((l) => l.message === message) };
}
