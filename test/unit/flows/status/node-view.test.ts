import { expect } from 'chai';
import { join } from 'node:path';
import { NodesRepo, openDatabase } from '../../../../src/db/index.js';
import { listNodeStatus } from '../../../../src/flows/status/index.js';
import { tempDir } from '../../../helpers/fixtures.js';

const T = Date.parse('2026-12-06T10:00:00.000Z');

describe('flows/status: the node register as shown', () => {
  it('a node is up while it beats, gone after three missed beats, stopped after a clean stop; a restart is up again', async () => {
    const db = openDatabase(join(tempDir('pag-nodes-'), 'gateway.sqlite'));
    const nodes = new NodesRepo(db);
    await nodes.register({ name: 'gw-b', roles: ['analysis'], version: '0.1.0', host: 'h2', pid: 2 }, T);
    await nodes.register({ name: 'gw-a', roles: ['intake', 'delivery'], version: '0.1.0', host: 'h1', pid: 1 }, T);
    await nodes.heartbeat('gw-a', T + 20_000);
    const at = async (nowMs: number) => (await listNodeStatus(nodes, 10_000, nowMs)).map((n) => `${n.name}:${n.state}`);
    expect(await at(T + 30_000)).to.deep.equal(['gw-a:up', 'gw-b:up']);
    expect(await at(T + 30_001)).to.deep.equal(['gw-a:up', 'gw-b:gone']);
    await nodes.stopped('gw-a', T + 40_000);
    expect(await at(T + 40_000)).to.deep.equal(['gw-a:stopped', 'gw-b:gone']);
    await nodes.register({ name: 'gw-a', roles: ['intake'], version: '0.2.0', host: 'h1', pid: 7 }, T + 50_000);
    const [a] = await listNodeStatus(nodes, 10_000, T + 50_000);
    expect(a).to.deep.include({ name: 'gw-a', state: 'up', roles: ['intake'], version: '0.2.0', pid: 7, stoppedAt: null, startedAt: new Date(T + 50_000).toISOString() });
    db.close();
  });
});
