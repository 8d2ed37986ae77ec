/**
 * database.url with `sslmode=verify-full`: the gateway reaches PostgreSQL over TLS only when the server's certificate
 * chains to `sslrootcert` and names the host; otherwise it refuses to start and says why.
 */
import { expect } from 'chai';
import type { Context } from 'mocha';
import pg from 'pg';
import { runCleanups } from '../helpers/fixtures.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { PostgresCluster, requirePostgres } from '../helpers/postgres.js';
import { makeTestPki, type TestPki } from '../helpers/tls.js';

describe('interop: the gateway on PostgreSQL over TLS (sslmode=verify-full)', function () {
  this.timeout(120_000);
  let pki: TestPki;
  let cluster: PostgresCluster | undefined;
  let gw: TestGateway | undefined;

  before(async function (this: Context) {
    requirePostgres(this);
    pki = makeTestPki();
    cluster = await PostgresCluster.start({ tls: pki.server });
  });
  after(async () => {
    await gw?.stop();
    await cluster?.stop();
    runCleanups();
  });

  const url = (host: string, database: string, ca: string): string => `postgres://postgres@${host}:${cluster?.port}/${database}?sslmode=verify-full&sslrootcert=${encodeURIComponent(ca)}`;

  it('connects over TLS when the server certificate chains to sslrootcert and names the host; every session of the node is encrypted', async () => {
    const database = await (cluster as PostgresCluster).createDatabase('tls');
    gw = await startGateway({ database: { url: url('localhost', database, pki.caFile) }, cluster: { nodeName: 'gw-tls-1' } });
    expect((await gw.getJson<{ ok: boolean }>('/readyz')).body.ok).to.equal(true);
    const admin = new pg.Client({ connectionString: (cluster as PostgresCluster).url(database) });
    await admin.connect();
    try {
      const rows = (await admin.query<{ ssl: boolean }>(`SELECT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.application_name = 'pacs-ai-gateway gw-tls-1'`)).rows;
      expect(rows.length, 'the node has sessions open').to.be.above(0);
      expect(rows.every((r) => r.ssl)).to.equal(true);
    } finally {
      await admin.end();
    }
    await gw.stop();
    gw = undefined;
  });

  it('refuses to start when the server certificate is not from the trusted CA, naming the database failure', async () => {
    const database = await (cluster as PostgresCluster).createDatabase('tls');
    let failure: unknown;
    try {
      gw = await startGateway({ database: { url: url('localhost', database, pki.otherCaFile) }, cluster: { nodeName: 'gw-tls-2' } });
    } catch (err) {
      failure = err;
    }
    expect(failure, 'the start fails').to.be.instanceOf(Error);
    expect((failure as Error).message).to.match(/PostgreSQL migrate on schema_migrations failed: .*(certificate|self[- ]signed)/i);
  });
});
