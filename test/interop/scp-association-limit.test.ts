/**
 * The association cap as a real SCU sees it: with maxAssociations held open, DCMTK echoscu is refused with a
 * transient A-ASSOCIATE-RJ "local limit exceeded", and is served again once the held associations have closed.
 */
import { expect } from 'chai';
import { connect, type Socket } from 'node:net';
import { PduType, encodeAssociateRq } from '../../src/dicom/pdu.js';
import { echoscu } from '../helpers/dcmtk.js';
import { runCleanups, waitFor } from '../helpers/fixtures.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { requirePeers } from '../helpers/peers.js';

/** A raw socket holding an accepted association open (A-ASSOCIATE-AC received). */
async function holdAssociation(port: number): Promise<{ socket: Socket; closed: Promise<void> }> {
  const socket = connect({ host: '127.0.0.1', port });
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write(
    encodeAssociateRq({
      calledAeTitle: 'AIGATEWAY',
      callingAeTitle: 'HOLDER',
      contexts: [{ id: 1, abstractSyntax: '1.2.840.10008.1.1', transferSyntaxes: ['1.2.840.10008.1.2'] }],
      maxPduLength: 16384,
    }),
  );
  const first = await new Promise<Buffer>((resolve) => socket.once('data', resolve));
  expect(first[0]).to.equal(PduType.AssociateAc);
  return { socket, closed };
}

/** dicom_associations_open as /metrics reports it. */
async function openAssociations(gw: TestGateway): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${gw.httpPort}/metrics`)).text();
  const m = /^pacs_ai_gateway_dicom_associations_open(?:\{[^}]*\})? (\d+)$/m.exec(text);
  if (m === null) throw new Error('/metrics has no pacs_ai_gateway_dicom_associations_open');
  return Number(m[1]);
}

describe('interop: SCP association cap against echoscu', function () {
  this.timeout(60_000);
  let gw: TestGateway | undefined;
  after(async () => {
    await gw?.stop();
    runCleanups();
  });

  it('rejects associations beyond maxAssociations with a transient A-ASSOCIATE-RJ, and recovers', async function () {
    requirePeers(this, 'echoscu');
    gw = await startGateway({ dicom: { maxAssociations: 2, idleTimeoutMs: 30_000 } });
    const held = [await holdAssociation(gw.dicomPort), await holdAssociation(gw.dicomPort)];
    expect(await openAssociations(gw)).to.equal(2);
    const r = await echoscu(gw.dicomPort);
    expect(r.code).to.not.equal(0);
    expect(r.stdout + r.stderr).to.match(/Rejected Transient[\s\S]*Local Limit Exceeded/i);
    for (const p of held) p.socket.destroy();
    await Promise.all(held.map((p) => p.closed));
    // The SCP sees the closes on its own sockets a moment later: wait until it counts none open.
    const port = gw.dicomPort;
    const served = gw;
    await waitFor('the SCP to count no open association', async () => (await openAssociations(served)) === 0);
    const again = await echoscu(port);
    expect(again.code, again.stderr).to.equal(0);
  });
});
