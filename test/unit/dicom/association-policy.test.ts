import { expect } from 'chai';
import { AssociationPolicy, decideContext, rejectReasonName } from '../../../src/dicom/association-policy.js';
import { parseAeTitle, type AeTitle } from '../../../src/net/index.js';
import { RejectReason, RejectResult, RejectSource, type AssociateRq } from '../../../src/dicom/pdu.js';

const CT = '1.2.840.10008.5.1.4.1.1.2';
function rq(over: Partial<AssociateRq> = {}): AssociateRq {
  return {
    protocolVersion: 1,
    calledAeTitle: 'AIGATEWAY',
    callingAeTitle: 'PACS',
    applicationContext: '1.2.840.10008.3.1.1.1',
    contexts: [{ id: 1, abstractSyntax: CT, transferSyntaxes: ['1.2.840.10008.1.2.4.70', '1.2.840.10008.1.2.1'] }],
    maxPduLength: 16384,
    implementationClassUid: '1.2.3',
    implementationVersionName: 'X',
    roles: [],
    ...over,
  };
}
const open = { openAssociations: 1, maxAssociations: 4 };

function aeTitle(text: string): AeTitle {
  const parsed = parseAeTitle(text);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.aeTitle;
}

describe('dicom/association-policy', () => {
  const policy = new AssociationPolicy(aeTitle('AIGATEWAY'), [
    { aeTitle: aeTitle('PACS'), host: '127.0.0.1' },
    { aeTitle: '*', host: '10.1.0.0/16' },
  ]);

  it('accepts a listed peer and keeps the sender’s preferred (compressed) transfer syntax', () => {
    const d = policy.decide(rq(), '::ffff:127.0.0.1', open);
    expect(d.kind).to.equal('accept');
    if (d.kind === 'accept') expect(d.contexts[0]).to.deep.equal({ id: 1, result: 0, transferSyntax: '1.2.840.10008.1.2.4.70' });
  });

  it('rejects a wrong called AE title with "called AE title not recognized"', () => {
    const d = policy.decide(rq({ calledAeTitle: 'OTHER' }), '127.0.0.1', open);
    expect(d.kind === 'reject' && d.rj).to.deep.equal({ result: RejectResult.Permanent, source: RejectSource.ServiceUser, reason: RejectReason.CalledAeNotRecognized });
  });

  it('rejects an unknown calling AE, and a known one from an unlisted address, as "calling AE title not recognized"', () => {
    for (const [ae, addr] of [['STRANGER', '127.0.0.1'], ['PACS', '127.0.0.2']] as const) {
      const d = policy.decide(rq({ callingAeTitle: ae }), addr, open);
      expect(d.kind === 'reject' && d.rj.reason).to.equal(RejectReason.CallingAeNotRecognized);
    }
  });

  it('matches CIDR blocks and wildcard AE titles', () => {
    expect(policy.decide(rq({ callingAeTitle: 'ANY' }), '10.1.200.3', open).kind).to.equal('accept');
    expect(policy.decide(rq({ callingAeTitle: 'ANY' }), '10.2.0.1', open).kind).to.equal('reject');
  });

  it('rejects transiently when over the association cap or refusing (low disk)', () => {
    const over = policy.decide(rq(), '127.0.0.1', { openAssociations: 5, maxAssociations: 4 });
    expect(over.kind === 'reject' && over.rj).to.deep.equal({ result: RejectResult.Transient, source: RejectSource.ServiceProviderPresentation, reason: RejectReason.LocalLimitExceeded });
    const low = policy.decide(rq(), '127.0.0.1', { ...open, refusing: 'disk low' });
    expect(low.kind === 'reject' && low.rj.result).to.equal(RejectResult.Transient);
  });

  it('accepts verification, refuses non-storage abstract syntaxes and unknown transfer syntaxes', () => {
    expect(decideContext({ id: 1, abstractSyntax: '1.2.840.10008.1.1', transferSyntaxes: ['1.2.840.10008.1.2'] }).result).to.equal(0);
    expect(decideContext({ id: 3, abstractSyntax: '1.2.840.10008.5.1.4.1.2.2.1', transferSyntaxes: ['1.2.840.10008.1.2'] }).result).to.equal(3);
    expect(decideContext({ id: 5, abstractSyntax: CT, transferSyntaxes: ['1.2.3.4.5.6'] }).result).to.equal(4);
  });

  it('reports whether an address may connect at all', () => {
    expect(policy.addressAllowed('127.0.0.1')).to.equal(true);
    expect(policy.addressAllowed('192.0.2.1')).to.equal(false);
  });

  it('names each reject by its PS3.8 reason, the same number meaning different things per source (metric labels)', () => {
    const names = [
      policy.decide(rq({ protocolVersion: 2 }), '127.0.0.1', open),
      policy.decide(rq({ applicationContext: '1.2.3' }), '127.0.0.1', open),
      policy.decide(rq({ calledAeTitle: 'OTHER' }), '127.0.0.1', open),
      policy.decide(rq({ callingAeTitle: 'STRANGER' }), '127.0.0.1', open),
      policy.decide(rq(), '127.0.0.1', { ...open, refusing: 'disk below watermark' }),
      policy.decide(rq(), '127.0.0.1', { openAssociations: 5, maxAssociations: 4 }),
    ].map((d) => (d.kind === 'reject' ? rejectReasonName(d.rj) : 'accepted'));
    expect(names).to.deep.equal([
      'protocol-version-not-supported',
      'application-context-not-supported',
      'called-ae-not-recognized',
      'calling-ae-not-recognized',
      'temporary-congestion',
      'local-limit-exceeded',
    ]);
  });
});
