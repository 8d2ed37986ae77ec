/**
 * Certificate, key and CA files named in the config, read and checked before anything listens or connects:
 * a missing, unreadable or invalid file is a GW_ERR_TLS_FILES error naming the config key, the path and the reason.
 */
import { readFileSync } from 'node:fs';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import { GatewayError, errnoCode } from '../errors.js';

/** A TLS listener's files (`dicom.tls`, `hl7.tls`). */
export interface TlsServerFiles {
  certFile: string;
  keyFile: string;
  /** CAs that client certificates are verified against; without it no client certificate is asked for. */
  caFile?: string | undefined;
}

/** An outgoing connection's files (`tls` of a destination); all optional: without caFile the system CAs verify. */
export interface TlsClientFiles {
  caFile?: string | undefined;
  certFile?: string | undefined;
  keyFile?: string | undefined;
}

/** PEM bytes as read; passed to node:tls as they are. */
export interface TlsMaterial {
  cert?: Buffer;
  key?: Buffer;
  ca?: Buffer;
}

/** One problem with one file, for `check-config`'s list and for the start-up error. */
export interface TlsFileProblem {
  /** Dotted config key, e.g. `dicom.tls.certFile`. */
  path: string;
  reason: string;
}

/**
 * Reads and checks the files; `keyPath` is the config key of the block (`dicom.tls`) for the messages.
 * @throws GatewayError GW_ERR_TLS_FILES listing every problem.
 */
export function readTlsFiles(files: TlsServerFiles | TlsClientFiles, keyPath: string): TlsMaterial {
  const { material, problems } = inspectTlsFiles(files, keyPath);
  if (problems.length > 0) {
    const first = problems[0] as TlsFileProblem;
    throw new GatewayError('GW_ERR_TLS_FILES', problems.map((p) => `${p.path}: ${p.reason}`).join('; '), { context: { field: first.path } });
  }
  return material;
}

/** Like readTlsFiles, but returns the problems instead of throwing (config check lists them with the others). */
export function inspectTlsFiles(files: TlsServerFiles | TlsClientFiles, keyPath: string): { material: TlsMaterial; problems: TlsFileProblem[] } {
  const problems: TlsFileProblem[] = [];
  const read = (key: 'certFile' | 'keyFile' | 'caFile'): Buffer | undefined => {
    const file = files[key];
    if (file === undefined) return undefined;
    try {
      return readFileSync(file);
    } catch (err) {
      problems.push({ path: `${keyPath}.${key}`, reason: `cannot read ${file}: ${errnoCode(err) ?? (err as Error).message}` });
      return undefined;
    }
  };
  const cert = read('certFile');
  const key = read('keyFile');
  const ca = read('caFile');
  const certOk = cert !== undefined && checkCertificates(cert, `${keyPath}.certFile`, files.certFile as string, problems);
  const caOk = ca !== undefined && checkCertificates(ca, `${keyPath}.caFile`, files.caFile as string, problems);
  let keyOk = false;
  if (key !== undefined) {
    try {
      createPrivateKey(key);
      keyOk = true;
    } catch {
      // An encrypted key would need a passphrase at every start: a daemon has nobody to type it.
      const encrypted = /-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(key.toString('latin1'));
      const why = encrypted ? 'the key is encrypted: give an unencrypted PEM key (protect it with file permissions)' : 'not a PEM private key';
      problems.push({ path: `${keyPath}.keyFile`, reason: `${files.keyFile as string}: ${why}` });
    }
  }
  if (certOk && keyOk) {
    try {
      createSecureContext({ cert, key });
    } catch (err) {
      problems.push({ path: `${keyPath}.keyFile`, reason: `${files.keyFile as string} is not the key of ${files.certFile as string} (${(err as Error).message})` });
    }
  }
  if (caOk && ca !== undefined) {
    try {
      createSecureContext({ ca });
    } catch (err) {
      problems.push({ path: `${keyPath}.caFile`, reason: `${files.caFile as string}: ${(err as Error).message}` });
    }
  }
  return { material: { ...(cert === undefined ? {} : { cert }), ...(key === undefined ? {} : { key }), ...(ca === undefined ? {} : { ca }) }, problems };
}

/** Every PEM block in `pem` must be an X.509 certificate; an expired leaf is reported too (peers refuse it). */
function checkCertificates(pem: Buffer, path: string, file: string, problems: TlsFileProblem[]): boolean {
  const blocks = pem.toString('latin1').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) {
    problems.push({ path, reason: `${file}: no PEM certificate in it (expected -----BEGIN CERTIFICATE-----)` });
    return false;
  }
  for (const block of blocks) {
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(block);
    } catch (err) {
      problems.push({ path, reason: `${file}: a certificate does not parse (${(err as Error).message})` });
      return false;
    }
    if (Date.parse(cert.validTo) < Date.now()) {
      problems.push({ path, reason: `${file}: certificate "${cert.subject.replace(/\n/g, ', ')}" expired on ${cert.validTo}` });
      return false;
    }
  }
  return true;
}
