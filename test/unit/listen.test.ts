import { expect } from 'chai';
import { createServer, type Server } from 'node:net';
import { listenOn } from '../../src/listen.js';
import { captureLog } from '../helpers/tls.js';

describe('listen', () => {
  const servers: Server[] = [];
  after(() => servers.forEach((s) => s.close()));

  it('resolves with the bound port; a port in use rejects with EADDRINUSE', async () => {
    const { log } = captureLog();
    const first = createServer();
    servers.push(first);
    const port = await listenOn(first, { host: '127.0.0.1', port: 0 }, log, 'dicom');
    expect(port).to.be.greaterThan(0);
    const second = createServer();
    servers.push(second);
    let error: unknown;
    try {
      await listenOn(second, { host: '127.0.0.1', port }, log, 'dicom');
    } catch (err) {
      error = err;
    }
    expect(error).to.include({ code: 'EADDRINUSE' });
  });

  it('an error after the bind (EMFILE on accept) is logged and the listener keeps serving', async () => {
    const logs = captureLog();
    const server = createServer((s) => s.end('ok'));
    servers.push(server);
    const port = await listenOn(server, { host: '127.0.0.1', port: 0 }, logs.log, 'hl7');
    // what Node's net.Server emits when accept(2) fails; without a listener this would throw and end the process
    server.emit('error', Object.assign(new Error('accept EMFILE'), { code: 'EMFILE' }));
    expect(logs.find('hl7 listener error')).to.have.length(1);
    expect(server.listening).to.equal(true);
    expect(port).to.equal((server.address() as { port: number }).port);
  });
});
