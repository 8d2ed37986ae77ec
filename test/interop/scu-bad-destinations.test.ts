/**
 * Destinations an outbox must classify: a closed port, a wrong or unknown AE title, a peer refusing the SOP class
 * or the transfer syntax, failure statuses, a silent peer, a peer that stalls, aborts, never releases, or speaks
 * garbage. Real peers (storescp, Orthanc, our SCP) where they can play the part; a scripted raw peer otherwise.
 */
import { expect } from 'chai';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { CommandField, decodeCommand, encodeCommand, responseFor } from '../../src/dicom/dimse-command.js';
import { buildFileMetaHeader } from '../../src/dicom/part10.js';
import { PduType, decodeAssociateRq, decodePData, encodeAssociateAc, encodePData, type ProposedContext } from '../../src/dicom/pdu.js';
import { PduReader, type RawPdu } from '../../src/dicom/pdu-reader.js';
import { storeFiles, type ScuOptions, type StoreFilesResult } from '../../src/dicom/scu.js';
import type { AssociationFailure } from '../../src/dicom/scu-outcomes.js';
import { bindShim, echoscu, startStorescp, type Storescp } from '../helpers/dcmtk.js';
import { CORPUS, freePort, runCleanups, tempDir, waitFor } from '../helpers/fixtures.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { startOrthanc, type Orthanc } from '../helpers/orthanc.js';
import { requirePeers, spawnPeer } from '../helpers/peers.js';

const CT_SMALL = join(CORPUS, 'dicom', 'pydicom__CT_small.dcm');
const MR_SMALL = join(CORPUS, 'dicom', 'pydicom__MR_small.dcm');
const J2K = join(CORPUS, 'dicom', 'pydicom__JPEG2000.dcm');
const MADE_UP_SOP_CLASS = '2.25.318874539813456089713205473981208751';

function scuTo(port: number, calledAeTitle: string, extra: Partial<ScuOptions> = {}): ScuOptions {
  return { host: '127.0.0.1', port, callingAeTitle: 'AIGATEWAY', calledAeTitle, ...extra };
}

function assocFailure(r: StoreFilesResult): AssociationFailure {
  const a = r.association;
  if (a.kind === 'released' || a.kind === 'not-opened') throw new Error(`expected an association failure, got ${JSON.stringify(a)}`);
  return a;
}

function element(group: number, el: number, vr: string, text: string): Buffer {
  const v = Buffer.from(text.length % 2 === 1 ? `${text}${vr === 'UI' ? '\0' : ' '}` : text, 'latin1');
  const h = Buffer.alloc(8);
  h.writeUInt16LE(group, 0);
  h.writeUInt16LE(el, 2);
  h.write(vr, 4, 'latin1');
  h.writeUInt16LE(v.length, 6);
  return Buffer.concat([h, v]);
}

/** A tiny Explicit VR LE Part-10 file; `withUids: false` leaves (0008,0016)/(0008,0018) out of the dataset. */
function writeTinyFile(dir: string, name: string, sopClassUid: string, withUids = true): string {
  const sopInstanceUid = `2.25.${Date.now()}${Math.floor(Math.random() * 1e6)}`;
  const dataset = Buffer.concat([
    ...(withUids ? [element(0x0008, 0x0016, 'UI', sopClassUid), element(0x0008, 0x0018, 'UI', sopInstanceUid)] : []),
    element(0x0010, 0x0010, 'PN', 'TEST^SCU'),
    element(0x0010, 0x0020, 'LO', 'SCU-TEST'),
  ]);
  const path = join(dir, name);
  writeFileSync(path, Buffer.concat([buildFileMetaHeader({ sopClassUid, sopInstanceUid, transferSyntaxUid: '1.2.840.10008.1.2.1' }), dataset]));
  return path;
}

/** storescp with our own arguments (startStorescp always runs +B +xa). */
async function startStorescpWith(args: string[]): Promise<Storescp> {
  const dir = tempDir('pag-storescp-x-');
  const port = await freePort();
  const child = spawnPeer('storescp', [...args, '-aet', 'XSCP', '-od', dir, String(port)], { env: { LD_PRELOAD: bindShim() }, stdio: 'ignore' });
  await waitFor('storescp to answer C-ECHO', async () => (await echoscu(port, { calledAe: 'XSCP' })).code === 0, 15_000);
  return { port, dir, process: child, stop: () => stopChild(child) };
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

interface FakePeer {
  port: number;
  /** PDU types the peer received, in order. */
  received: number[];
  close(): Promise<void>;
}

type FakeScript = (pdu: RawPdu, socket: Socket) => void;

/** A raw TCP peer on 127.0.0.1 that runs `script` for each PDU it receives. */
async function startFakePeer(script: FakeScript): Promise<FakePeer> {
  const received: number[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    const reader = new PduReader(4 * 1024 * 1024);
    socket.on('data', (chunk: Buffer) => {
      for (const pdu of reader.push(chunk)) {
        received.push(pdu.type);
        script(pdu, socket);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    port,
    received,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * Accepts every context in its first transfer syntax (or `acceptTs`), answers each C-STORE with Success.
 * `blankAeTitles` leaves the reserved AE fields of the A-ASSOCIATE-AC blank (PS3.8 §9.3.3: not to be tested).
 */
function acceptingScript(options: { answerRelease: boolean; acceptTs?: string; blankAeTitles?: boolean }): FakeScript {
  let contexts: ProposedContext[] = [];
  let pendingCommand: ReturnType<typeof decodeCommand> | undefined;
  return (pdu, socket) => {
    if (pdu.type === PduType.AssociateRq) {
      const rq = decodeAssociateRq(pdu.body);
      contexts = rq.contexts;
      const ac = encodeAssociateAc({
        calledAeTitle: rq.calledAeTitle,
        callingAeTitle: rq.callingAeTitle,
        contexts: contexts.map((c) => ({ id: c.id, result: 0, transferSyntax: options.acceptTs ?? (c.transferSyntaxes[0] as string) })),
        maxPduLength: 16384,
        roles: [],
      });
      if (options.blankAeTitles === true) ac.fill(0x20, 10, 42);
      socket.write(ac);
    } else if (pdu.type === PduType.PData) {
      for (const pdv of decodePData(pdu.body)) {
        if (pdv.isCommand && pdv.isLast) pendingCommand = decodeCommand(pdv.data);
        else if (!pdv.isCommand && pdv.isLast && pendingCommand !== undefined) {
          const rsp = responseFor(pendingCommand, CommandField.CStoreRsp);
          rsp.status = 0;
          for (const p of encodePData(pdv.contextId, true, encodeCommand(rsp), 16384)) socket.write(p);
          pendingCommand = undefined;
        }
      }
    } else if (pdu.type === PduType.ReleaseRq && options.answerRelease) {
      socket.end(Buffer.from([0x06, 0, 0, 0, 0, 4, 0, 0, 0, 0]));
    }
  };
}

describe('interop: SCU against bad destinations', function () {
  this.timeout(60_000);
  let work: string;
  let madeUp: string;

  before(function () {
    requirePeers(this, 'storescp', 'echoscu', 'Orthanc', 'cc');
    work = tempDir('pag-scu-bad-'); // here, not at load time: other suites' cleanups run before this one starts
    madeUp = writeTinyFile(work, 'made-up-class.dcm', MADE_UP_SOP_CLASS);
  });
  after(() => runCleanups());

  it('closed port: connection-failed, retryable, naming the peer and errno', async () => {
    const port = await freePort();
    const r = await storeFiles(scuTo(port, 'NOBODY'), [{ path: CT_SMALL }]);
    const f = assocFailure(r);
    expect(f).to.include({ kind: 'connection-failed', retryable: true, peer: `127.0.0.1:${port}`, calledAeTitle: 'NOBODY', callingAeTitle: 'AIGATEWAY' });
    expect(f.kind === 'connection-failed' && f.errno).to.equal('ECONNREFUSED');
    expect(r.files[0]?.outcome).to.deep.include({ kind: 'association-failed', retryable: true });
    expect(r.files[0]?.file).to.equal(CT_SMALL);
  });

  describe('AE titles', () => {
    let orthanc: Orthanc;
    let gw: TestGateway;
    before(async () => {
      orthanc = await startOrthanc({ aeTitle: 'ORTHANC', checkCalledAet: true });
      gw = await startGateway({ dicom: { allowedPeers: [{ aeTitle: 'PACS', host: '127.0.0.1' }] } });
    });
    after(async () => {
      await orthanc?.stop();
      await gw?.stop();
    });

    it('wrong called AE title at Orthanc (DicomCheckCalledAet): rejected, permanent, not retryable', async () => {
      const r = await storeFiles(scuTo(orthanc.dicomPort, 'NOTORTHANC'), [{ path: CT_SMALL }]);
      const f = assocFailure(r);
      expect(f).to.include({ kind: 'rejected', retryable: false, result: 1, source: 1, reason: 7, reasonText: 'called AE title not recognized' });
      expect(f.detail).to.match(/called AE title not recognized/);
      expect(r.files[0]?.outcome).to.deep.include({ kind: 'association-failed', retryable: false });
      expect(await orthanc.instances()).to.deep.equal([]);
    });

    it('wrong called AE title at our SCP: the same words', async () => {
      const r = await storeFiles(scuTo(gw.dicomPort, 'NOTUS', { callingAeTitle: 'PACS' }), [{ path: CT_SMALL }]);
      expect(assocFailure(r)).to.include({ kind: 'rejected', retryable: false, reasonText: 'called AE title not recognized' });
    });

    it('our calling AE title unknown to the peer: rejected, "calling AE title not recognized"', async () => {
      const r = await storeFiles(scuTo(gw.dicomPort, 'AIGATEWAY', { callingAeTitle: 'STRANGER' }), [{ path: CT_SMALL }]);
      expect(assocFailure(r)).to.include({ kind: 'rejected', retryable: false, reason: 3, reasonText: 'calling AE title not recognized' });
    });
  });

  describe('refused presentation contexts', () => {
    it('a SOP class the peer does not support is not negotiated (storescp, Orthanc, our SCP); the other file still goes', async () => {
      const storescp = await startStorescp('REFSCP');
      const orthanc = await startOrthanc({ aeTitle: 'ORTHANC' });
      const gw = await startGateway();
      try {
        for (const [peer, options] of [
          ['storescp', scuTo(storescp.port, 'REFSCP')],
          ['Orthanc', scuTo(orthanc.dicomPort, 'ORTHANC')],
          ['our SCP', scuTo(gw.dicomPort, 'AIGATEWAY')],
        ] as const) {
          const r = await storeFiles(options, [{ path: madeUp }, { path: CT_SMALL }]);
          expect(r.association.kind, peer).to.equal('released');
          expect(r.files[0]?.outcome, peer).to.deep.include({ kind: 'not-negotiated', reason: 'abstract-syntax-not-supported', retryable: false });
          expect(r.files[0]?.outcome.kind === 'not-negotiated' && r.files[0].outcome.detail, peer).to.contain(MADE_UP_SOP_CLASS);
          expect(r.files[1]?.outcome.kind, peer).to.equal('stored');
        }
      } finally {
        await Promise.all([storescp.stop(), orthanc.stop(), gw.stop()]);
      }
    });

    it('a transfer syntax the peer does not accept is not negotiated, never transcoded', async () => {
      const uncompressedOnly = await startStorescpWith(['+B']); // default +x=: uncompressed transfer syntaxes only
      try {
        const r = await storeFiles(scuTo(uncompressedOnly.port, 'XSCP'), [{ path: J2K }, { path: MR_SMALL }]);
        expect(r.files[0]?.outcome).to.deep.include({ kind: 'not-negotiated', reason: 'transfer-syntax-not-supported', retryable: false });
        expect(r.files[1]?.outcome.kind).to.equal('stored');
      } finally {
        await uncompressedOnly.stop();
      }
    });
  });

  describe('failure statuses', () => {
    it('storescp cannot write its file: 0xA700 out of resources, retryable', async () => {
      const scp = await startStorescpWith([]);
      try {
        rmSync(scp.dir, { recursive: true, force: true });
        const r = await storeFiles(scuTo(scp.port, 'XSCP'), [{ path: CT_SMALL }]);
        expect(r.association.kind).to.equal('released');
        expect(r.files[0]?.outcome).to.deep.include({ kind: 'failed', status: 0xa700, retryable: true, statusText: 'Refused: out of resources' });
      } finally {
        mkdirSync(scp.dir, { recursive: true });
        await scp.stop();
      }
    });

    it('a dataset without SOP UIDs: storescp answers 0xC000 cannot understand, not retryable', async () => {
      const scp = await startStorescpWith([]);
      try {
        const noUids = writeTinyFile(work, 'no-uids.dcm', '1.2.840.10008.5.1.4.1.1.7', false);
        const r = await storeFiles(scuTo(scp.port, 'XSCP'), [{ path: noUids }]);
        const o = r.files[0]?.outcome;
        expect(o?.kind === 'failed' && (o.status & 0xf000), JSON.stringify(o)).to.equal(0xc000);
        expect(o?.kind === 'failed' && o.retryable).to.equal(false);
      } finally {
        await scp.stop();
      }
    });
  });

  describe('peers that stall, abort or misbehave', () => {
    it('a peer that accepts TCP and never answers: timeout after associationTimeoutMs', async () => {
      const silent = await startFakePeer(() => {});
      try {
        const started = Date.now();
        const r = await storeFiles(scuTo(silent.port, 'SILENT', { associationTimeoutMs: 500 }), [{ path: CT_SMALL }]);
        const elapsed = Date.now() - started;
        expect(assocFailure(r)).to.include({ kind: 'timeout', phase: 'associate', retryable: true });
        expect(elapsed).to.be.within(450, 3000);
        expect(silent.received).to.deep.equal([PduType.AssociateRq]);
      } finally {
        await silent.close();
      }
    });

    it('a peer that takes the dataset and does not answer: DIMSE timeout, A-ABORT, retryable', async () => {
      // Scenario, not a wait: storescp's own --sleep-during makes it the slow peer the DIMSE timeout is for.
      const sleepy = await startStorescpWith(['+B', '--sleep-during', '20']);
      try {
        const r = await storeFiles(scuTo(sleepy.port, 'XSCP', { dimseTimeoutMs: 700 }), [{ path: CT_SMALL }, { path: MR_SMALL }]);
        expect(assocFailure(r)).to.include({ kind: 'timeout', phase: 'dimse', retryable: true });
        expect(r.files.map((f) => f.outcome.kind)).to.deep.equal(['association-failed', 'association-failed']);
      } finally {
        await sleepy.stop();
      }
    });

    it('a peer that aborts during the C-STORE: aborted by the peer, retryable', async () => {
      const aborting = await startStorescpWith(['+B', '--abort-during']);
      try {
        const r = await storeFiles(scuTo(aborting.port, 'XSCP'), [{ path: CT_SMALL }]);
        const f = assocFailure(r);
        expect(f).to.include({ kind: 'aborted', by: 'peer', retryable: true });
        expect(f.detail).to.match(/A-ABORT|closed the connection/);
      } finally {
        await aborting.stop();
      }
    });

    it('a peer that never sends A-RELEASE-RP: the file counts as stored, the release times out and we abort', async () => {
      const peer = await startFakePeer(acceptingScript({ answerRelease: false }));
      try {
        const r = await storeFiles(scuTo(peer.port, 'NORP', { associationTimeoutMs: 400 }), [{ path: CT_SMALL }]);
        expect(r.files[0]?.outcome.kind).to.equal('stored');
        expect(assocFailure(r)).to.include({ kind: 'timeout', phase: 'release' });
        await waitFor('our A-ABORT at the peer', () => peer.received.includes(PduType.Abort), 5000);
      } finally {
        await peer.close();
      }
    });

    it('a peer that releases properly, with blank reserved AE fields in its AC: stored and released', async () => {
      const peer = await startFakePeer(acceptingScript({ answerRelease: true, blankAeTitles: true }));
      try {
        const r = await storeFiles(scuTo(peer.port, 'FAKE'), [{ path: CT_SMALL }, { path: MR_SMALL }]);
        expect(r.association.kind).to.equal('released');
        expect(r.files.map((f) => f.outcome.kind)).to.deep.equal(['stored', 'stored']);
      } finally {
        await peer.close();
      }
    });

    it('a peer answering garbage: protocol error, A-ABORT (unrecognized PDU), not retryable', async () => {
      const peer = await startFakePeer((pdu, socket) => {
        if (pdu.type === PduType.AssociateRq) socket.write(Buffer.from([0x09, 0, 0, 0, 0, 2, 0xde, 0xad]));
      });
      try {
        const r = await storeFiles(scuTo(peer.port, 'GARBAGE'), [{ path: CT_SMALL }]);
        expect(assocFailure(r)).to.include({ kind: 'protocol-error', retryable: false });
        expect(assocFailure(r).detail).to.match(/unknown PDU type 0x9/);
        await waitFor('our A-ABORT at the peer', () => peer.received.includes(PduType.Abort), 5000);
      } finally {
        await peer.close();
      }
    });

    it('a peer answering a request we never made: protocol error, not retryable', async () => {
      const accept = acceptingScript({ answerRelease: true });
      const peer = await startFakePeer((pdu, socket) => {
        accept(pdu, socket);
        if (pdu.type !== PduType.AssociateRq) return;
        const stray = { commandField: CommandField.CStoreRsp, messageIdBeingRespondedTo: 99, dataSetType: 0x0101, status: 0 };
        for (const p of encodePData(1, true, encodeCommand(stray), 16384)) socket.write(p);
      });
      try {
        const r = await storeFiles(scuTo(peer.port, 'STRAY'), [{ path: CT_SMALL }]);
        expect(assocFailure(r)).to.include({ kind: 'protocol-error', retryable: false });
        expect(r.files[0]?.outcome).to.deep.include({ kind: 'association-failed', retryable: false });
      } finally {
        await peer.close();
      }
    });

    it('a peer accepting a transfer syntax we did not propose: protocol error, nothing sent in it', async () => {
      const peer = await startFakePeer(acceptingScript({ answerRelease: true, acceptTs: '1.2.840.10008.1.2.4.50' }));
      try {
        const r = await storeFiles(scuTo(peer.port, 'WRONGTS'), [{ path: CT_SMALL }]);
        expect(assocFailure(r)).to.include({ kind: 'protocol-error', retryable: false });
        expect(assocFailure(r).detail).to.match(/did not propose/);
        expect(peer.received).to.not.include(PduType.PData);
      } finally {
        await peer.close();
      }
    });
  });
});
