import { expect } from 'chai';
import { join } from 'node:path';
import { DicomScu, deliveryVerdict, echo, storeFiles, type FileResult } from '../../../src/dicom/scu.js';
import { GatewayError } from '../../../src/errors.js';
import { CORPUS } from '../../helpers/fixtures.js';

const base = { host: '127.0.0.1', port: 1, callingAeTitle: 'AIGATEWAY', calledAeTitle: 'PACS' };

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof GatewayError ? `${err.code} ${String(err.context.field)}` : 'not-a-gateway-error';
  }
  return undefined;
}

describe('dicom/scu: SCU options and verdicts (no sockets)', () => {
  it('refuses bad options at construction, naming the field', () => {
    expect(codeOf(() => new DicomScu({ ...base, calledAeTitle: 'A\\B' }))).to.equal('GW_ERR_CONFIG_INVALID calledAeTitle');
    expect(codeOf(() => new DicomScu({ ...base, callingAeTitle: 'SEVENTEEN_CHARS__' }))).to.equal('GW_ERR_CONFIG_INVALID callingAeTitle');
    expect(codeOf(() => new DicomScu({ ...base, callingAeTitle: '   ' }))).to.equal('GW_ERR_CONFIG_INVALID callingAeTitle');
    expect(codeOf(() => new DicomScu({ ...base, port: 70000 }))).to.equal('GW_ERR_CONFIG_INVALID port');
    expect(codeOf(() => new DicomScu({ ...base, dimseTimeoutMs: 0 }))).to.equal('GW_ERR_CONFIG_INVALID dimseTimeoutMs');
    expect(codeOf(() => new DicomScu({ ...base, maxPduBytes: 1024 }))).to.equal('GW_ERR_CONFIG_INVALID maxPduBytes');
    expect(codeOf(() => new DicomScu(base))).to.equal(undefined);
  });

  it('a TLS file that cannot be read fails the call without connecting (never falls back to clear), naming key and path', async () => {
    const r = await echo({ ...base, tls: { caFile: '/nonexistent/ca.pem' } });
    expect(r).to.include({ kind: 'connection-failed', retryable: false, peer: '127.0.0.1:1', calledAeTitle: 'PACS' });
    expect(r.kind === 'connection-failed' && r.detail).to.match(/tls\.caFile: cannot read \/nonexistent\/ca\.pem: ENOENT/);
  });

  it('opens no association when no input is usable, and says why per input', async () => {
    const r = await storeFiles(base, [{ path: join(CORPUS, 'dicom', 'pydicom__no_meta.dcm') }, { bytes: Buffer.from('not dicom'), name: 'sr.dcm' }]);
    expect(r.association).to.deep.equal({ kind: 'not-opened', detail: 'no input had a usable meta header' });
    expect(r.files.map((f) => [f.file.split('/').pop(), f.outcome.kind, f.outcome.kind === 'invalid-file' && f.outcome.retryable])).to.deep.equal([
      ['pydicom__no_meta.dcm', 'invalid-file', false],
      ['sr.dcm', 'invalid-file', false],
    ]);
  });

  describe('deliveryVerdict', () => {
    const file = '/spool/sr.dcm';
    const verdict = (outcome: FileResult['outcome']): ReturnType<typeof deliveryVerdict> => deliveryVerdict({ file, outcome });

    it('delivers on Success, and on a warning with the warning as a note', () => {
      expect(verdict({ kind: 'stored', status: 0, statusText: 'Success' })).to.deep.equal({ kind: 'delivered' });
      expect(verdict({ kind: 'stored', status: 0xb000, statusText: 'Warning: coercion of data elements' })).to.deep.equal({
        kind: 'delivered',
        note: '0xB000 Warning: coercion of data elements',
      });
    });

    it('fails everything else with the outcome\'s retry decision and the file in the reason', () => {
      expect(verdict({ kind: 'failed', status: 0xa700, statusText: 'Refused: out of resources', retryable: true })).to.deep.equal({
        kind: 'failed',
        retryable: true,
        reason: '/spool/sr.dcm: 0xA700 Refused: out of resources',
      });
      const refused = verdict({ kind: 'not-negotiated', reason: 'abstract-syntax-not-supported', retryable: false, detail: 'PACS refused SOP class 1.2.3' });
      expect(refused).to.deep.equal({ kind: 'failed', retryable: false, reason: '/spool/sr.dcm: PACS refused SOP class 1.2.3' });
    });
  });
});
