/**
 * MLLP over TLS. Our listener (through the gateway's hl7.tls) with `openssl s_client` and Node TLS clients:
 * a report ACKed AA, a plain MLLP client on the TLS port refused with one log line while the listener keeps
 * serving, required client certificates and hl7.tls.allowedClientNames. Our client against a Node tls.Server
 * MLLP echo: accepted; a CA that did not sign the server, and TLS to a plain server, are connection failures
 * naming the problem. python-hl7's mllp_send has no TLS option, so it is not used here.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { connect as connectTcp } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { MllpClient, MllpServer } from '../../src/hl7/index.js';
import { silentLogger } from '../../src/log.js';
import type { OutboxItem } from '../../src/db/index.js';
import { hl7Sender } from '../../src/flows/delivery/senders.js';
import { runCleanups, waitFor } from '../helpers/fixtures.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { listenLocal, mllpFrame, readMllpFrames } from '../helpers/mllp-peer.js';
import { requirePeers } from '../helpers/peers.js';
import { captureLog, makeTestPki, type CapturedLog, type TestPki } from '../helpers/tls.js';

const frame = mllpFrame;
const oru = (id: string): string =>
  `MSH|^~\\&|RIS|HOSP|AIGW|RAD|20260101120000||ORU^R01|${id}|P|2.5\rPID|1||12345\rOBR|1|ACC-${id}|ACC-${id}|CT CHEST\rOBX|1|TX|REPORT||No nodule.||||||F\r`;
const ackFor = (id: string): string => `MSH|^~\\&|RIS|HOSP|GW|RAD|20260101||ACK^R01^ACK|R-${id}|P|2.5\rMSA|AA|${id}\r`;
/** MSA-1 and MSA-2 of the first ACK in `bytes`. */
function msa(bytes: Buffer): [string, string] | undefined {
  const m = /MSA\|([A-Z]{2})\|([^|\r]*)/.exec(bytes.toString('latin1'));
  return m === null ? undefined : [m[1] as string, m[2] as string];
}

/** `openssl s_client` as the MLLP sender: writes one framed message, returns what came back once an FS CR arrived. */
function sClientSend(port: number, pki: TestPki, message: string, cert?: { certFile: string; keyFile: string }): Promise<{ out: Buffer; stderr: string; code: number | null }> {
  const args = ['s_client', '-connect', `127.0.0.1:${port}`, '-CAfile', pki.caFile, '-verify_return_error', '-quiet', ...(cert === undefined ? [] : ['-cert', cert.certFile, '-key', cert.keyFile])];
  const child = spawn('openssl', args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = Buffer.alloc(0);
  let stderr = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => (child.kill('SIGKILL'), reject(new Error(`openssl s_client got no ACK: ${stderr}`))), 20_000);
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      out = Buffer.concat([out, d]);
      if (out.includes(Buffer.from([0x1c, 0x0d]))) child.kill('SIGTERM'); // -quiet ignores EOF on stdin: we end it
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ out, stderr, code });
    });
    child.stdin.end(frame(message));
  });
}

/** A Node tls.Server that ACKs AA every MLLP frame (the RIS side), with our test server certificate. */
async function tlsAckServer(pki: TestPki): Promise<{ server: TlsServer; port: number; received: string[] }> {
  const received: string[] = [];
  const server = createTlsServer({ cert: readFileSync(pki.server.certFile), key: readFileSync(pki.server.keyFile) }, (socket) =>
    readMllpFrames(socket, received, (id) => socket.write(frame(ackFor(id)))),
  );
  server.on('tlsClientError', () => {});
  return { server, port: await listenLocal(server), received };
}

describe('interop: MLLP over TLS', function () {
  this.timeout(60_000);
  let pki: TestPki;
  before(function () {
    requirePeers(this, 'openssl');
    pki = makeTestPki();
  });
  after(() => runCleanups());

  describe('our listener (gateway hl7.tls, client certificates optional)', () => {
    let gw: TestGateway;
    let logs: CapturedLog;
    before(async () => {
      logs = captureLog();
      gw = await startGateway({ hl7: { tls: { port: 0, ...pki.server, caFile: pki.caFile, requireClientCert: false, keepPlainPort: true, allowedClientNames: [] } } }, logs.log);
    });
    after(async () => gw?.stop());

    it('openssl s_client with a client certificate: the report is ACKed AA; the certificate subject is logged at debug', async () => {
      const r = await sClientSend(gw.hl7TlsPort as number, pki, oru('TLS-1'), pki.client);
      expect(msa(r.out), r.stderr).to.deep.equal(['AA', 'TLS-1']);
      const peer = await waitFor('the TLS peer line', () => logs.find('hl7 TLS peer').find((l) => String(l.subject).includes('CN=modality-1')));
      expect(peer).to.include({ authorized: true });
    });

    it('openssl s_client without a client certificate: ACKed AA too', async () => {
      const r = await sClientSend(gw.hl7TlsPort as number, pki, oru('TLS-2'));
      expect(msa(r.out), r.stderr).to.deep.equal(['AA', 'TLS-2']);
    });

    it('our MllpClient over TLS to our listener: accepted', async () => {
      const client = new MllpClient({ host: '127.0.0.1', port: gw.hl7TlsPort as number, connectTimeoutMs: 5_000, ackTimeoutMs: 10_000, tls: { caFile: pki.caFile, ...pki.client } }, { log: silentLogger });
      const r = await client.send(oru('TLS-3'));
      await client.close();
      expect(r.kind, r.detail.message).to.equal('accepted');
    });

    it('a plain MLLP client on the TLS port gets no ACK and is closed; one log line; the listener keeps serving', async () => {
      const before = logs.find('hl7 TLS handshake failed').length;
      const socket = connectTcp({ host: '127.0.0.1', port: gw.hl7TlsPort as number });
      socket.on('error', () => {});
      const reply: Buffer[] = [];
      socket.on('data', (d: Buffer) => reply.push(d));
      socket.write(frame(oru('PLAIN-1')));
      await once(socket, 'close');
      expect(msa(Buffer.concat(reply))).to.equal(undefined);
      const lines = await waitFor('the handshake failure line', () => {
        const l = logs.find('hl7 TLS handshake failed').slice(before);
        return l.length > 0 ? l : undefined;
      });
      expect(lines).to.have.length(1);
      expect(lines[0]).to.include({ code: 'GW_ERR_TLS_HANDSHAKE', level: 'warn', peerAddress: '127.0.0.1' });
      expect(String(lines[0]?.reason)).to.match(/does not speak TLS/);
      const r = await sClientSend(gw.hl7TlsPort as number, pki, oru('TLS-4'), pki.client);
      expect(msa(r.out)).to.deep.equal(['AA', 'TLS-4']);
    });
  });

  describe('our listener with requireClientCert and allowedClientNames', () => {
    let server: MllpServer;
    let port: number;
    let logs: CapturedLog;
    const client = (tls: ConstructorParameters<typeof MllpClient>[0]['tls']): MllpClient =>
      new MllpClient({ host: '127.0.0.1', port, connectTimeoutMs: 5_000, ackTimeoutMs: 5_000, tls }, { log: silentLogger });
    before(async () => {
      logs = captureLog();
      server = new MllpServer(
        {
          host: '127.0.0.1',
          port: 0,
          allowedHosts: ['127.0.0.1'],
          maxConnections: 8,
          maxMessageBytes: 1 << 20,
          idleTimeoutMs: 10_000,
          shutdownTimeoutMs: 1_000,
          tls: { port: 0, ...pki.server, caFile: pki.caFile, requireClientCert: true, allowedClientNames: ['modality-1'] },
        },
        { log: logs.log, handler: async () => ({ code: 'AA' as const }) },
      );
      port = await server.listenTls();
    });
    after(async () => server?.close());

    it('a client with the allowed certificate: accepted', async () => {
      const c = client({ caFile: pki.caFile, ...pki.client });
      const r = await c.send(oru('REQ-1'));
      await c.close();
      expect(r.kind, r.detail.message).to.equal('accepted');
    });

    it('no client certificate: refused in the handshake; the client says the server requires one', async () => {
      const c = client({ caFile: pki.caFile });
      const r = await c.send(oru('REQ-2'));
      await c.close();
      expect(r.kind).to.equal('connection-failed');
      expect(r.detail.message).to.match(/requires a client certificate/);
      await waitFor('the server-side line', () => logs.find('hl7 TLS handshake failed').find((l) => /no certificate/.test(String(l.reason))));
    });

    it('a certificate from another CA: refused in the handshake', async () => {
      const c = client({ caFile: pki.caFile, ...pki.rogueClient });
      const r = await c.send(oru('REQ-3'));
      await c.close();
      expect(r.kind).to.equal('connection-failed');
      // A Node server checks the chain after the TLS 1.3 handshake and closes without an alert: its log says why.
      expect(r.detail.message).to.match(/may not accept our client certificate/);
      const line = await waitFor('the server-side line', () => logs.find('hl7 TLS handshake failed').find((l) => /client certificate is not accepted/.test(String(l.reason))));
      expect(line).to.include({ code: 'GW_ERR_TLS_HANDSHAKE', peerAddress: '127.0.0.1' });
      expect(String(line.reason)).to.match(/not signed by a CA we trust \(caFile\)/);
    });

    it('a valid certificate whose name is not in allowedClientNames: closed, logged with the subject', async () => {
      const c = client({ caFile: pki.caFile, ...pki.otherClient });
      const r = await c.send(oru('REQ-4'));
      await c.close();
      expect(r.kind).to.equal('connection-failed');
      const refused = await waitFor('the refusal line', () => logs.find('hl7 connection refused').at(-1));
      expect(refused).to.include({ code: 'GW_ERR_HL7_PEER_NOT_ALLOWED', allowedClientNames: 'modality-1' });
      expect(String(refused.clientCert)).to.contain('CN=intruder');
    });
  });

  it('an address not in hl7.allowedHosts is closed before the handshake: one refusal per connection, no handshake error', async () => {
    const server = new MllpServer(
      { host: '127.0.0.1', port: 0, allowedHosts: ['10.9.9.9'], maxConnections: 4, maxMessageBytes: 1 << 20, idleTimeoutMs: 10_000, shutdownTimeoutMs: 1_000, tls: { port: 0, ...pki.server, requireClientCert: false, allowedClientNames: [] } },
      { log: silentLogger, handler: async () => ({ code: 'AA' as const }) },
    );
    const refusals: string[] = [];
    server.on('connection-refused', (e) => refusals.push(e.code));
    const port = await server.listenTls();
    try {
      for (let i = 0; i < 2; i++) {
        const c = new MllpClient({ host: '127.0.0.1', port, connectTimeoutMs: 5_000, ackTimeoutMs: 5_000, tls: { caFile: pki.caFile } }, { log: silentLogger });
        expect((await c.send(oru(`DENY-${i}`))).kind).to.equal('connection-failed');
        await c.close();
        await waitFor(`refusal ${i + 1}`, () => refusals.length >= i + 1);
      }
      expect(refusals).to.deep.equal(['GW_ERR_HL7_PEER_NOT_ALLOWED', 'GW_ERR_HL7_PEER_NOT_ALLOWED']);
    } finally {
      await server.close();
    }
  });

  describe('our client against a Node tls.Server MLLP echo', () => {
    let ris: Awaited<ReturnType<typeof tlsAckServer>>;
    before(async () => {
      ris = await tlsAckServer(pki);
    });
    after(() => new Promise<void>((resolve) => ris.server.close(() => resolve())));

    it('accepted, with the server certificate checked against caFile and 127.0.0.1', async () => {
      const c = new MllpClient({ host: '127.0.0.1', port: ris.port, connectTimeoutMs: 5_000, ackTimeoutMs: 5_000, tls: { caFile: pki.caFile } }, { log: silentLogger });
      const r = await c.send(oru('OUT-1'));
      await c.close();
      expect(r.kind, r.detail.message).to.equal('accepted');
      expect(ris.received).to.include('OUT-1');
    });

    it('a CA that did not sign the server: connection-failed naming the certificate problem, nothing sent', async () => {
      const c = new MllpClient({ host: '127.0.0.1', port: ris.port, connectTimeoutMs: 5_000, ackTimeoutMs: 5_000, tls: { caFile: pki.otherCaFile } }, { log: silentLogger });
      const r = await c.send(oru('OUT-2'));
      await c.close();
      expect(r.kind).to.equal('connection-failed');
      expect(r.detail.message).to.match(/^TLS with 127\.0\.0\.1:\d+ failed: the peer certificate is not signed by a CA we trust/);
      expect(ris.received).to.not.include('OUT-2');
    });

    it("the outbox's HL7 sender with a destination's tls: delivered; with a wrong CA: a retryable failure naming the certificate", async () => {
      const item = (id: string): OutboxItem => ({ id: 1, partition: 'ris', createdAtMs: 0, kind: 'hl7', destination: 'ris', studyInstanceUid: '1.2.3', dedupeKey: id, payload: oru(id), state: 'sending', attempts: 0, nextAttemptAt: '', lastError: null, createdAt: '', deliveredAt: null });
      const timeouts = { connectTimeoutMs: 5_000, dimseTimeoutMs: 5_000, ackTimeoutMs: 5_000 };
      const good = hl7Sender({ host: '127.0.0.1', port: ris.port, tls: { caFile: pki.caFile, rejectUnauthorized: true } }, timeouts, silentLogger);
      expect(await good(item('OUTBOX-1'))).to.deep.equal({ kind: 'delivered' });
      const wrong = hl7Sender({ host: '127.0.0.1', port: ris.port, tls: { caFile: pki.otherCaFile, rejectUnauthorized: true } }, timeouts, silentLogger);
      const r = await wrong(item('OUTBOX-2'));
      expect(r).to.include({ kind: 'failed', retryable: true });
      expect(r.kind === 'failed' && r.reason).to.match(/^connection-failed: TLS with 127\.0\.0\.1:\d+ failed: the peer certificate is not signed by a CA we trust/);
      expect(ris.received).to.include('OUTBOX-1').and.not.include('OUTBOX-2');
    });

    it('TLS to a plain MLLP server: connection-failed, not a hang', async () => {
      const plain = new MllpServer(
        { host: '127.0.0.1', port: 0, allowedHosts: ['127.0.0.1'], maxConnections: 4, maxMessageBytes: 1 << 20, idleTimeoutMs: 10_000, shutdownTimeoutMs: 1_000 },
        { log: silentLogger, handler: async () => ({ code: 'AA' as const }) },
      );
      const plainPort = await plain.listen();
      // Our plain server waits for a frame that a ClientHello never completes, or answers the bytes as a framing fault.
      const c = new MllpClient({ host: '127.0.0.1', port: plainPort, connectTimeoutMs: 500, ackTimeoutMs: 5_000, tls: { caFile: pki.caFile } }, { log: silentLogger });
      const r = await c.send(oru('OUT-3'));
      await c.close();
      await plain.close();
      expect(r.kind).to.equal('connection-failed');
      // Whether our server's answer to the ClientHello bytes or the connect timeout comes first depends on timing: both say why.
      expect(r.detail.message, r.detail.message).to.match(/^TLS with 127\.0\.0\.1:\d+ failed: (no TLS handshake within 500 ms \(does the peer speak TLS on this port\?\)$|the peer does not speak TLS)/);
    });
  });
});
