/** database (PostgreSQL URL or URL file) and cluster (node name, roles, leases): defaults, rules and messages. */
import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { validateConfig } from '../../../src/config/load.js';
import { tempDir } from '../../helpers/fixtures.js';

function problemsOf(raw: unknown): Array<{ path: string; reason: string }> {
  const r = validateConfig(raw, 'test');
  return r.ok ? [] : r.problems;
}

describe('config: database and cluster', () => {
  it('no database key: SQLite, one node named after the host and the DICOM port, all three roles', () => {
    const r = validateConfig({ dicom: { port: 11113 } }, 'test');
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    expect(r.config.database).to.equal(undefined);
    expect(r.config.cluster).to.include({ nodeName: `${hostname()}-11113`, leaseSeconds: 120, heartbeatSeconds: 10, pollMs: 1000 });
    expect(r.config.cluster.roles).to.deep.equal(['intake', 'analysis', 'delivery']);
  });

  it('database.url must be a PostgreSQL URL; url and urlFile exclude each other; one of them is needed', () => {
    expect(problemsOf({ database: { url: 'mysql://db/gw' } })[0]).to.deep.include({ path: 'database.url' });
    expect(problemsOf({ database: { url: 'mysql://db/gw' } })[0]?.reason).to.match(/postgres:\/\//);
    expect(problemsOf({ database: { url: 'postgres://a@db/gw', urlFile: '/x' } }).map((p) => p.path)).to.include('database.urlFile');
    expect(problemsOf({ database: { poolSize: 5 } }).map((p) => p.path)).to.deep.equal(['database.url']);
    expect(problemsOf({ database: { url: 'postgresql://gw:secret@db.example:5432/gateway?sslmode=verify-full' } })).to.deep.equal([]);
  });

  it('reads database.urlFile (first line, trimmed) and carries it as database.url; a bad file is named', () => {
    const dir = tempDir('pag-dburl-');
    const good = join(dir, 'url');
    writeFileSync(good, '  postgres://gw:s3cret@db:5432/gateway?sslmode=verify-full  \nignored\n', { mode: 0o600 });
    const r = validateConfig({ database: { urlFile: good } }, 'test');
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    expect(r.config.database?.url).to.equal('postgres://gw:s3cret@db:5432/gateway?sslmode=verify-full');
    const bad = join(dir, 'bad');
    writeFileSync(bad, 'db.example:5432\n');
    expect(problemsOf({ database: { urlFile: bad } })[0]?.reason).to.contain(bad).and.to.contain('must be a PostgreSQL URL');
    expect(problemsOf({ database: { urlFile: join(dir, 'missing') } })[0]?.reason).to.match(/cannot read the database URL file .*missing/);
  });

  it('roles: known ones only, each once, at least one; node names are checked', () => {
    expect(problemsOf({ cluster: { roles: ['intake', 'gpu'] } }).map((p) => p.path)).to.deep.equal(['cluster.roles.1']);
    expect(problemsOf({ cluster: { roles: ['analysis', 'analysis'] } })[0]?.reason).to.equal('a role is listed twice');
    expect(problemsOf({ cluster: { roles: [] } })[0]?.reason).to.equal('a node needs at least one role');
    expect(problemsOf({ cluster: { nodeName: 'node a' } })[0]?.path).to.equal('cluster.nodeName');
    const r = validateConfig({ cluster: { nodeName: 'gw-2', roles: ['analysis'], leaseSeconds: 10 } }, 'test');
    expect(r.ok && r.config.cluster).to.deep.include({ nodeName: 'gw-2', roles: ['analysis'], leaseSeconds: 10 });
  });
});
