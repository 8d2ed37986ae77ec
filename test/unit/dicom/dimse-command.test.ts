import { expect } from 'chai';
import { CommandField, NO_DATASET, Status, decodeCommand, encodeCommand, isSuccessOrWarning, responseFor } from '../../../src/dicom/dimse-command.js';
import { GatewayError } from '../../../src/errors.js';
import { STORE_RQ } from '../../helpers/raw-dicom.js';

describe('dicom/dimse-command', () => {
  const rq = STORE_RQ;

  it('round-trips a C-STORE-RQ with odd-length UIDs padded', () => {
    const bytes = encodeCommand(rq);
    expect(bytes.length % 2).to.equal(0);
    expect(decodeCommand(bytes)).to.deep.equal(rq);
  });

  it('builds a response from the request that starts as a failure', () => {
    const rsp = responseFor(rq, CommandField.CStoreRsp);
    expect(rsp.status).to.equal(Status.CannotUnderstand);
    expect(rsp.messageIdBeingRespondedTo).to.equal(7);
    expect(rsp.affectedSopInstanceUid).to.equal('1.2.3.4.5');
    expect(rsp.dataSetType).to.equal(NO_DATASET);
  });

  it('rejects a command set without CommandField, or with an element running past the end', () => {
    const bytes = encodeCommand(rq);
    const truncated = bytes.subarray(0, bytes.length - 3);
    for (const bad of [truncated, Buffer.alloc(0)]) {
      let code: string | undefined;
      try {
        decodeCommand(bad);
      } catch (err) {
        code = (err as GatewayError).code;
      }
      expect(code).to.equal('GW_ERR_DIMSE_MALFORMED');
    }
  });

  it('classifies C-STORE statuses: success and warnings store, failures do not', () => {
    expect([0x0000, 0xb000, 0xb007, 0x0001].map(isSuccessOrWarning)).to.deep.equal([true, true, true, true]);
    expect([0xa700, 0xa900, 0xc000, 0x0122, 0x0211].map(isSuccessOrWarning)).to.deep.equal([false, false, false, false, false]);
  });
});
