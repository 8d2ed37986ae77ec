import { expect } from 'chai';
import {
  contextRefusal,
  describeAbort,
  describeFailure,
  describeOutcome,
  describeReject,
  isRefusalRetryable,
  storeOutcome,
  type AssociationFailure,
} from '../../../src/dicom/scu-outcomes.js';

describe('dicom/scu-outcomes: SCU outcome mapping', () => {
  describe('A-ASSOCIATE-RJ words (PS3.8 Table 9-21)', () => {
    it('names a wrong called AE title and does not retry a permanent rejection', () => {
      const d = describeReject({ result: 1, source: 1, reason: 7 });
      expect(d.reasonText).to.equal('called AE title not recognized');
      expect(d.sourceText).to.equal('service user');
      expect(d.resultText).to.equal('rejected (permanent)');
      expect(d.retryable).to.equal(false);
    });

    it('names an unknown calling AE title', () => {
      expect(describeReject({ result: 1, source: 1, reason: 3 }).reasonText).to.equal('calling AE title not recognized');
    });

    it('reads the reason by source: 2 is "application context" from the user, "protocol version" from ACSE, "local limit" from presentation', () => {
      expect(describeReject({ result: 1, source: 1, reason: 2 }).reasonText).to.equal('application context name not supported');
      expect(describeReject({ result: 1, source: 2, reason: 2 }).reasonText).to.equal('protocol version not supported');
      expect(describeReject({ result: 2, source: 3, reason: 2 }).reasonText).to.equal('local limit exceeded');
    });

    it('retries a transient rejection (temporary congestion)', () => {
      const d = describeReject({ result: 2, source: 3, reason: 1 });
      expect(d.reasonText).to.equal('temporary congestion');
      expect(d.retryable).to.equal(true);
    });

    it('says "reserved" for reasons the standard does not define rather than guessing', () => {
      expect(describeReject({ result: 1, source: 1, reason: 5 }).reasonText).to.equal('reserved reason 5');
      expect(describeReject({ result: 9, source: 9, reason: 1 }).sourceText).to.equal('unknown source 9');
    });
  });

  describe('A-ABORT words (PS3.8 Table 9-26)', () => {
    it('reads the reason only for a service-provider abort', () => {
      expect(describeAbort({ source: 2, reason: 6 })).to.deep.equal({ sourceText: 'service provider', reasonText: 'invalid PDU parameter value' });
      expect(describeAbort({ source: 2, reason: 2 }).reasonText).to.equal('unexpected PDU');
      expect(describeAbort({ source: 0, reason: 6 })).to.deep.equal({ sourceText: 'service user', reasonText: 'reason not specified' });
    });
  });

  describe('presentation context results (PS3.8 Table 9-18)', () => {
    it('maps each result to a refusal, acceptance to none', () => {
      expect([0, 1, 2, 3, 4, 7].map(contextRefusal)).to.deep.equal([
        undefined,
        'user-rejection',
        'no-reason',
        'abstract-syntax-not-supported',
        'transfer-syntax-not-supported',
        'no-reason',
      ]);
    });

    it('does not retry an unsupported SOP class or transfer syntax: only a person can change that', () => {
      expect(isRefusalRetryable('abstract-syntax-not-supported')).to.equal(false);
      expect(isRefusalRetryable('transfer-syntax-not-supported')).to.equal(false);
      expect(isRefusalRetryable('user-rejection')).to.equal(true);
      expect(isRefusalRetryable('context-limit')).to.equal(true);
    });
  });

  describe('C-STORE-RSP status (PS3.4 Table B.2-1, PS3.7 Annex C)', () => {
    it('counts Success and every warning as stored (the peer keeps the object)', () => {
      for (const status of [0x0000, 0x0001, 0x0107, 0x0116, 0xb000, 0xb006, 0xb007]) {
        expect(storeOutcome(status, undefined).kind, status.toString(16)).to.equal('stored');
      }
      expect(storeOutcome(0xb000, 'coerced').statusText).to.equal('Warning: coercion of data elements');
    });

    it('retries out-of-resources (A7xx) and other conditions of the moment', () => {
      for (const status of [0xa700, 0xa701, 0xa7ff, 0x0110, 0x0210, 0x0213, 0xfe00]) {
        const o = storeOutcome(status, undefined);
        expect(o.kind === 'failed' && o.retryable, status.toString(16)).to.equal(true);
      }
    });

    it('does not retry what the object or the peer refuses as such: A9xx, Cxxx, 0122, 0124, 0117, 0211, 0212', () => {
      for (const status of [0xa900, 0xa9ff, 0xc000, 0xc123, 0x0122, 0x0124, 0x0117, 0x0211, 0x0212]) {
        const o = storeOutcome(status, undefined);
        expect(o.kind, status.toString(16)).to.equal('failed');
        expect(o.kind === 'failed' && o.retryable, status.toString(16)).to.equal(false);
      }
    });

    it('keeps the peer\'s error comment and words for the family', () => {
      const o = storeOutcome(0xa701, 'disk full');
      expect(o).to.deep.equal({ kind: 'failed', status: 0xa701, statusText: 'Refused: out of resources', errorComment: 'disk full', retryable: true });
      expect(describeOutcome(o)).to.equal('0xA701 Refused: out of resources (disk full)');
      expect(storeOutcome(0x0122, '').statusText).to.equal('Refused: SOP class not supported');
      expect(storeOutcome(0xc211, undefined).statusText).to.equal('Error: cannot understand');
    });

    it('retries an unknown failure code: the outbox bounds the attempts', () => {
      const o = storeOutcome(0xd123, undefined);
      expect(o.kind === 'failed' && o.retryable).to.equal(true);
    });
  });

  it('describes an association failure with who, where and why in one line', () => {
    const f: AssociationFailure = {
      kind: 'rejected',
      peer: '127.0.0.1:4242',
      callingAeTitle: 'AIGATEWAY',
      calledAeTitle: 'WRONG',
      result: 1,
      source: 1,
      reason: 7,
      resultText: 'rejected (permanent)',
      sourceText: 'service user',
      reasonText: 'called AE title not recognized',
      retryable: false,
      detail: 'association rejected (permanent) by the service user: called AE title not recognized',
    };
    expect(describeFailure(f)).to.equal(
      'AIGATEWAY → WRONG@127.0.0.1:4242: rejected: association rejected (permanent) by the service user: called AE title not recognized',
    );
    expect(describeOutcome({ kind: 'association-failed', failure: f, retryable: false })).to.contain('called AE title not recognized');
  });
});
