/** Refusals at accept are logged a few per address and window, then counted into one line (issue 15). */
import { expect } from 'chai';
import { RefusalLog } from '../../../src/dicom/refusal-log.js';
import { capturingLogger } from '../../helpers/capturing-logger.js';

const NOT_ALLOWED = { code: 'GW_ERR_DICOM_PEER_NOT_ALLOWED', reason: 'address not in dicom.allowedPeers' };

describe('dicom: RefusalLog', () => {
  it('logs the first five refusals of an address one by one, and the rest of the window as one line with the count', () => {
    const log = capturingLogger();
    let t = 0;
    const refusals = new RefusalLog(log, { now: () => t });
    for (let i = 0; i < 1000; i++) refusals.refused('association refused at connect', { ...NOT_ALLOWED, peer: '10.0.0.9' });
    expect(log.lines).to.have.length(5);
    expect(log.lines.every((l) => l.message === 'association refused at connect' && l.fields.peer === '10.0.0.9')).to.equal(true);
    expect(String(log.lines[4]?.fields.note)).to.match(/further refusals from this address are counted for 60 s/);
    // The window ends: its count comes out at the next refusal (or from the timer, or at close), then five more lines.
    t = 60_000;
    refusals.refused('association refused at connect', { ...NOT_ALLOWED, peer: '10.0.0.9' });
    expect(log.lines.slice(5).map((l) => [l.message, l.fields.count])).to.deep.equal([
      ['connections refused at accept, not logged one by one', 995],
      ['association refused at connect', undefined],
    ]);
    expect(log.lines[5]?.fields).to.include({ code: 'GW_ERR_DICOM_PEER_NOT_ALLOWED', peer: '10.0.0.9', windowMs: 60_000 });
    refusals.close();
    expect(log.lines).to.have.length(7); // nothing was counted in the new window
  });

  it('keeps addresses apart and counts each code separately; close() logs what is counted', () => {
    const log = capturingLogger();
    const refusals = new RefusalLog(log, { now: () => 0, perWindow: 2 });
    for (let i = 0; i < 4; i++) refusals.refused('association refused at connect', { ...NOT_ALLOWED, peer: 'a' });
    for (let i = 0; i < 3; i++) refusals.refused('association refused at connect', { code: 'GW_ERR_DICOM_PEER_LIMIT', peer: 'a', reason: 'limit' });
    refusals.refused('association refused at connect', { ...NOT_ALLOWED, peer: 'b' });
    expect(log.lines.map((l) => l.fields.peer)).to.deep.equal(['a', 'a', 'b']);
    refusals.close();
    expect(log.lines.slice(3).map((l) => [l.fields.peer, l.fields.code, l.fields.count])).to.deep.equal([
      ['a', 'GW_ERR_DICOM_PEER_NOT_ALLOWED', 2],
      ['a', 'GW_ERR_DICOM_PEER_LIMIT', 3],
    ]);
  });
});
