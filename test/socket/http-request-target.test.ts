/**
 * Request targets the HTTP parser lets through but no URL can be made of (found by the HTTP fuzzer, issue 15):
 * the client's fault, so 400 naming the target, never a 500.
 */
import { expect } from 'chai';
import { once } from 'node:events';
import { connect } from 'node:net';
import { runCleanups } from '../helpers/fixtures.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { parseAnswers } from '../helpers/fuzz-http.js';

async function rawGet(port: number, target: string): Promise<{ status: number; body: string }> {
  const socket = connect({ host: '127.0.0.1', port });
  const chunks: Buffer[] = [];
  socket.on('data', (d: Buffer) => chunks.push(d));
  await once(socket, 'connect');
  socket.write(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
  await once(socket, 'close');
  const [answer] = parseAnswers(Buffer.concat(chunks));
  if (answer === undefined) throw new Error(`no HTTP answer to ${target}`);
  return answer;
}

describe('socket: HTTP request targets that are not URLs', function () {
  this.timeout(30_000);
  let gw: TestGateway;
  before(async () => (gw = await startGateway({ models: [] })));
  after(async () => {
    await gw?.stop();
    runCleanups();
  });

  for (const target of ['http://[', 'http://[::1', 'https://%zz/']) {
    it(`answers 400 naming the target to GET ${target}`, async () => {
      const answer = await rawGet(gw.httpPort, target);
      expect(answer.status).to.equal(400);
      expect((JSON.parse(answer.body) as { error: string }).error).to.include('not a valid URL').and.include(JSON.stringify(target));
    });
  }

  it('still serves a well-formed absolute-form target', async () => {
    expect((await rawGet(gw.httpPort, `http://127.0.0.1:${gw.httpPort}/healthz`)).status).to.equal(200);
  });
});
