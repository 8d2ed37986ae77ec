/**
 * The HTTP bearer token over real sockets, in both modes: without a token (the loopback default) everything
 * is open; with one, /metrics and /api/* answer 401 with a Bearer challenge unless the right token comes,
 * while /healthz, /readyz and the page shell stay open for probes.
 */
import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { REPO_ROOT, runCleanups, tempDir } from '../helpers/fixtures.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { run } from '../helpers/peers.js';

const TOKEN = 'b6e1d0c9a8f7e6d5c4b3a2918f7e6d5c';
const PROTECTED = ['/metrics', '/api/studies', '/api/outbox', '/api/destinations'];

describe('socket: HTTP bearer token', function () {
  this.timeout(60_000);
  after(runCleanups);

  describe('no token configured (loopback default)', () => {
    let gw: TestGateway;
    before(async () => (gw = await startGateway({ models: [] })));
    after(async () => gw?.stop());

    it('serves the API and /metrics without credentials', async () => {
      for (const path of PROTECTED) expect((await fetch(`http://127.0.0.1:${gw.httpPort}${path}`)).status, path).to.equal(200);
    });

    it('serves only loopback host names (DNS rebinding), probes excepted', async () => {
      const get = (path: string, host: string): Promise<{ status: number; body: string }> =>
        new Promise((resolve, reject) => {
          const req = request({ host: '127.0.0.1', port: gw.httpPort, path, headers: { host } }, (res) => {
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (c: string) => (body += c));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          });
          req.on('error', reject);
          req.end();
        });
      const rebound = await get('/api/studies', `attacker.example:${gw.httpPort}`);
      expect(rebound.status).to.equal(403);
      expect((JSON.parse(rebound.body) as { code: string }).code).to.equal('GW_ERR_HTTP_HOST_NOT_ALLOWED');
      expect((await get('/', 'attacker.example')).status).to.equal(403);
      for (const host of [`localhost:${gw.httpPort}`, `127.0.0.1:${gw.httpPort}`, `[::1]:${gw.httpPort}`, 'LOCALHOST']) {
        expect((await get('/api/studies', host)).status, host).to.equal(200);
      }
      expect((await get('/healthz', 'attacker.example')).status).to.equal(200);
    });

    it('refuses a resend from another origin (CSRF) and lets a same-origin or Origin-less one through', async () => {
      const url = `http://127.0.0.1:${gw.httpPort}/api/outbox/999/resend`;
      const foreign = await fetch(url, { method: 'POST', headers: { origin: 'http://intranet.example' } });
      expect(foreign.status).to.equal(403);
      expect(((await foreign.json()) as { code: string }).code).to.equal('GW_ERR_HTTP_CROSS_ORIGIN');
      // past the origin check: 404 because there is no row 999
      expect((await fetch(url, { method: 'POST', headers: { origin: `http://127.0.0.1:${gw.httpPort}` } })).status).to.equal(404);
      expect((await fetch(url, { method: 'POST' })).status).to.equal(404);
    });
  });

  describe('token configured', () => {
    let gw: TestGateway;
    let url: (path: string) => string;
    before(async () => {
      gw = await startGateway({ models: [], http: { authToken: TOKEN } });
      url = (path) => `http://127.0.0.1:${gw.httpPort}${path}`;
    });
    after(async () => gw?.stop());

    it('answers 401 with a Bearer challenge without a token, and with a wrong one', async () => {
      for (const path of PROTECTED) {
        const none = await fetch(url(path));
        expect(none.status, path).to.equal(401);
        expect(none.headers.get('www-authenticate'), path).to.match(/^Bearer realm=/);
        expect(((await none.json()) as { code: string }).code).to.equal('GW_ERR_HTTP_UNAUTHORIZED');
        const wrong = await fetch(url(path), { headers: { authorization: `Bearer ${TOKEN.slice(0, -1)}x` } });
        expect(wrong.status, path).to.equal(401);
        expect(wrong.headers.get('www-authenticate'), path).to.contain('error="invalid_token"');
        const basic = await fetch(url(path), { headers: { authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}` } });
        expect(basic.status, `${path} with Basic`).to.equal(401);
      }
    });

    it('refuses a resend without the token', async () => {
      const res = await fetch(url('/api/outbox/1/resend'), { method: 'POST' });
      expect(res.status).to.equal(401);
    });

    it('serves everything with the right token', async () => {
      for (const path of PROTECTED) {
        const res = await fetch(url(path), { headers: { authorization: `Bearer ${TOKEN}` } });
        expect(res.status, path).to.equal(200);
      }
    });

    it('`pacs-ai-gateway resend` sends the configured token to the running daemon', async () => {
      const file = join(tempDir('pag-cli-'), 'config.yaml');
      writeFileSync(file, `dataDir: ${gw.dataDir}\nhttp:\n  port: ${gw.httpPort}\n  authToken: ${TOKEN}\n`);
      const r = await run(process.execPath, [join(REPO_ROOT, 'dist/src/main.js'), 'resend', '999', '--config', file]);
      // the daemon's own answer (no such row), not a 401
      expect(r.stderr).to.contain('no dead or pending outbox item 999');
      expect(r.code).to.equal(1);
    });

    it('keeps /healthz, /readyz and the page shell open (no patient data)', async () => {
      expect((await fetch(url('/healthz'))).status).to.equal(200);
      expect((await fetch(url('/readyz'))).status).to.equal(200);
      const page = await fetch(url('/'));
      expect(page.status).to.equal(200);
      expect(page.headers.get('content-type')).to.match(/^text\/html/);
      expect(page.headers.get('content-security-policy')).to.contain("default-src 'none'");
    });
  });
});
