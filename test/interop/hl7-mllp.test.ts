/**
 * Our MLLP server against the real peer `mllp_send` (Debian python3-hl7): every file of corpus/hl7, one
 * connection per file and all of them on one connection, plus an FHS/BHS batch. Asserted through mllp_send's own
 * printed ACKs: AA (CA where MSH-15 asks for enhanced mode) for valid messages, AR/AE for the invalid one, and each
 * valid message handed to the handler exactly once. And our client against python3-hl7's asyncio MLLP receiver.
 */
import { expect } from 'chai';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { readAck, type ReceivedAck } from '../../src/hl7/ack.js';
import { readMessageBytes } from '../../src/hl7/inbound.js';
import { buildHl7Message, MllpClient, MllpServer, type ReceivedHl7Message } from '../../src/hl7/index.js';
import { createControlIdGenerator } from '../../src/hl7/control-id.js';
import { MllpDecoder } from '../../src/hl7/mllp-framing.js';
import { silentLogger } from '../../src/log.js';
import { CORPUS, runCleanups, tempDir } from '../helpers/fixtures.js';
import { requirePeers, run, spawnPeer } from '../helpers/peers.js';

const CORPUS_HL7 = join(CORPUS, 'hl7');
const INVALID = 'scout__postgres_2023_20230113_m0_INVALID.hl7';
const MLLP_SEND = '/usr/bin/mllp_send';

/** mllp_send --file reads MLLP frames (it splits on FS), so each corpus file is wrapped as VT bytes FS CR, unchanged inside. */
const framed = (bytes: Buffer): Buffer => Buffer.concat([Buffer.from([0x0b]), bytes, Buffer.from([0x1c, 0x0d])]);

/** The ACKs in mllp_send's stdout (it prints each reply as received, framing bytes included). */
function printedAcks(stdout: Buffer): ReceivedAck[] {
  const decoder = new MllpDecoder({ maxMessageBytes: 1 << 20 });
  return decoder.push(stdout).flatMap((e) => {
    if (e.kind !== 'frame') return [];
    const item = readMessageBytes(e.payload);
    const ack = item.kind === 'message' ? readAck(item.message) : undefined;
    if (ack === undefined) throw new Error(`mllp_send printed a reply that is not an ACK: ${e.payload.toString('latin1')}`);
    return [ack];
  });
}

/** What the corpus file should get back: its MSH-10, and AA or (MSH-15 set: enhanced mode) CA. */
function expected(name: string): { controlId: string; code: string } {
  const item = readMessageBytes(readFileSync(join(CORPUS_HL7, name)));
  if (item.kind !== 'message') throw new Error(`${name}: ${item.problem.detail}`);
  return { controlId: item.message.controlId, code: item.message.acceptAckType === undefined ? 'AA' : 'CA' };
}

async function mllpSend(port: number, file: string): Promise<ReceivedAck[]> {
  // run() collects text; ACKs are ASCII here, and latin1 keeps the bytes 1:1 either way.
  const r = await run(MLLP_SEND, ['--file', file, '-p', String(port), '127.0.0.1'], { timeoutMs: 30_000 });
  expect(r.code, r.stderr).to.equal(0);
  return printedAcks(Buffer.from(r.stdout, 'latin1'));
}

describe('interop: MLLP server with mllp_send (python3-hl7)', function () {
  this.timeout(120_000);
  let server: MllpServer;
  let port: number;
  let dir: string;
  const seen: ReceivedHl7Message[] = [];

  before(async function () {
    requirePeers(this, MLLP_SEND);
    dir = tempDir('pag-hl7-');
    server = new MllpServer(
      { host: '127.0.0.1', port: 0, allowedHosts: ['127.0.0.1'], maxConnections: 4, maxMessageBytes: 1 << 20, idleTimeoutMs: 10_000, shutdownTimeoutMs: 2_000 },
      { log: silentLogger, handler: async (r) => (seen.push(r), { code: 'AA' }) },
    );
    port = await server.listen();
  });
  beforeEach(() => {
    seen.length = 0;
  });
  after(async () => {
    await server?.close();
    runCleanups();
  });

  const files = readdirSync(CORPUS_HL7).filter((f) => f.endsWith('.hl7')).sort();

  for (const name of files) {
    it(`${name} → ${name === INVALID ? 'AR with ERR' : 'AA/CA, handled once'}`, async () => {
      const file = join(dir, name);
      writeFileSync(file, framed(readFileSync(join(CORPUS_HL7, name))));
      const acks = await mllpSend(port, file);
      expect(acks).to.have.length(1);
      if (name === INVALID) {
        expect(['AR', 'AE']).to.include(acks[0]?.code);
        expect(acks[0]?.conditions).to.have.length(1);
        expect(seen).to.deep.equal([]);
        return;
      }
      const want = expected(name);
      expect(acks[0]).to.deep.include({ code: want.code, acknowledgedControlId: want.controlId });
      expect(seen.map((r) => r.controlId)).to.deep.equal([want.controlId]);
    });
  }

  it('all corpus files on one connection: one ACK each, in order, each message handled once', async () => {
    const file = join(dir, 'all.mllp');
    writeFileSync(file, Buffer.concat(files.map((f) => framed(readFileSync(join(CORPUS_HL7, f))))));
    const acks = await mllpSend(port, file);
    expect(acks).to.have.length(files.length);
    const wanted = files.map((f) => (f === INVALID ? undefined : expected(f)));
    acks.forEach((ack, k) => {
      const want = wanted[k];
      if (want === undefined) expect(['AR', 'AE'], files[k]).to.include(ack.code);
      else expect(ack, files[k]).to.deep.include({ code: want.code, acknowledgedControlId: want.controlId });
    });
    expect(seen.map((r) => r.controlId)).to.deep.equal(wanted.flatMap((w) => (w === undefined ? [] : [w.controlId])));
  });

  it('an FHS/BHS batch gets one batch of ACKs, one per message', async () => {
    const msh = (id: string): string => `MSH|^~\\&|RIS|HOSP|GW|HOSP|20260101||ORU^R01|${id}|P|2.5\rOBX|1|TX|R||report ${id}`;
    const batch = ['FHS|^~\\&|RIS|HOSP|GW|HOSP|20260101||||FILE-1', 'BHS|^~\\&|RIS|HOSP|GW|HOSP|20260101||||BATCH-1', msh('B-1'), msh('B-2'), 'BTS|2', 'FTS|1'].join('\r');
    const file = join(dir, 'batch.mllp');
    writeFileSync(file, framed(Buffer.from(`${batch}\r`)));
    const r = await run(MLLP_SEND, ['--file', file, '-p', String(port), '127.0.0.1'], { timeoutMs: 30_000 });
    expect(r.code, r.stderr).to.equal(0);
    const reply = r.stdout.split(/[\r\n\x0b\x1c]+/).filter((l) => l !== '');
    expect(reply.map((l) => l.slice(0, 3))).to.deep.equal(['FHS', 'BHS', 'MSH', 'MSA', 'MSH', 'MSA', 'BTS', 'FTS']);
    expect(reply.filter((l) => l.startsWith('MSA'))).to.deep.equal(['MSA|AA|B-1', 'MSA|AA|B-2']);
    expect(seen.map((m) => m.controlId)).to.deep.equal(['B-1', 'B-2']);
  });
});

/** python3-hl7's asyncio receiver: prints its port, then for each message a GOT line with MSH-10 and unescaped OBX-5. */
const PY_RECEIVER = `
import asyncio, json
from hl7.mllp import start_hl7_server
async def handle(reader, writer):
    try:
        while not writer.is_closing():
            msg = await reader.readmessage()
            obx5 = msg.unescape(str(msg.segment('OBX')(5)))
            print('GOT ' + json.dumps([str(msg.segment('MSH')(10)), obx5]), flush=True)
            writer.writemessage(msg.create_ack())
            await writer.drain()
    except asyncio.IncompleteReadError:
        writer.close()
async def main():
    server = await start_hl7_server(handle, '127.0.0.1', 0, encoding='utf-8')
    print('PORT', server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()
asyncio.run(main())
`;

describe('interop: MLLP client with the python3-hl7 receiver', function () {
  this.timeout(60_000);
  let child: ChildProcess | undefined;
  afterEach(() => {
    child?.kill('SIGTERM');
    child = undefined;
  });

  it('gets AA with MSA-2 = our MSH-10, and escaped text arrives intact', async function () {
    requirePeers(this, '/usr/bin/python3');
    const receiver = spawnPeer('/usr/bin/python3', ['-c', PY_RECEIVER], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = receiver;
    const lines: string[] = [];
    let partial = '';
    let onLine: () => void = () => {};
    let stderr = '';
    receiver.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const port = await new Promise<number>((resolve, reject) => {
      receiver.once('exit', (code) => reject(new Error(`python receiver exited (${code}): ${stderr}`)));
      receiver.stdout?.on('data', (d: Buffer) => {
        // print() may reach us in pieces ('PORT', ' 4321\n'): only whole lines count.
        const parts = (partial + d.toString()).split('\n');
        partial = parts.pop() ?? '';
        for (const line of parts) {
          lines.push(line);
          onLine();
          const m = /^PORT (\d+)$/.exec(line);
          if (m?.[1] !== undefined) resolve(Number(m[1]));
        }
      });
    });
    const client = new MllpClient({ host: '127.0.0.1', port, connectTimeoutMs: 5_000, ackTimeoutMs: 10_000 }, { log: silentLogger });
    try {
      const ids = createControlIdGenerator();
      const texts = ['Nodule 8 mm | right ^ upper & lobe ~ see \\ prior', 'Müller: no change'];
      const sent: string[] = [];
      for (const text of texts) {
        const controlId = ids.next();
        sent.push(controlId);
        const message = buildHl7Message(
          { sendingApplication: 'AIGATEWAY', sendingFacility: 'RAD', receivingApplication: 'RIS', receivingFacility: 'HOSP', messageType: { code: 'ORU', trigger: 'R01', structure: 'ORU_R01' }, controlId },
          [{ name: 'OBX', fields: ['1', 'TX', ['AI', 'AI finding'], undefined, text] }],
        );
        const r = await client.send(message);
        expect(r.kind, r.detail.message).to.equal('accepted');
        expect(r.detail.ack).to.deep.include({ code: 'AA', acknowledgedControlId: controlId });
      }
      // The receiver prints before it ACKs, but its stdout and our socket are separate streams: await both lines.
      const gotLines = (): string[] => lines.filter((l) => l.startsWith('GOT '));
      while (gotLines().length < texts.length) await new Promise<void>((resolve) => (onLine = resolve));
      const got = gotLines().map((l) => JSON.parse(l.slice(4)) as [string, string]);
      expect(got).to.deep.equal(sent.map((id, k) => [id, texts[k]]));
    } finally {
      await client.close();
    }
  });
});
