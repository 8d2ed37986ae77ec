import { expect } from 'chai';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { NodePresence } from '../../../src/app/node-presence.js';
import { NodesRepo, openDatabase } from '../../../src/db/index.js';
import { GatewayError } from '../../../src/errors.js';
import { silentLogger } from '../../../src/log.js';
import { rejection, tempDir } from '../../helpers/fixtures.js';

describe('app/node-presence', () => {
  const presence = (register: NodesRepo, name: string) => new NodePresence({ register, name, roles: ['intake'], heartbeatMs: 10_000, log: silentLogger });

  it('refuses a name a running node on another host holds; takes it over once that node is gone or stopped, and always from its own host', async () => {
    const db = openDatabase(join(tempDir('pag-presence-'), 'gateway.sqlite'));
    const nodes = new NodesRepo(db);
    await nodes.register({ name: 'gw-1', roles: ['intake'], version: '0', host: 'other-host', pid: 4242 }, Date.now());
    const err = await rejection(presence(nodes, 'gw-1').start());
    expect(err).to.be.instanceOf(GatewayError);
    expect(err.message).to.contain('"gw-1" is in use by a running node on other-host (pid 4242');
    // Gone: no heartbeat for three intervals.
    await nodes.heartbeat('gw-1', Date.now() - 31_000);
    const p = presence(nodes, 'gw-1');
    await p.start();
    expect((await nodes.list())[0]).to.deep.include({ host: hostname(), pid: process.pid, stoppedAt: null });
    await p.stop();
    expect((await nodes.list())[0]?.stoppedAt).to.be.a('string');
    // Our own host under the same name (a restart after kill -9) is not a twin.
    await nodes.register({ name: 'gw-2', roles: ['intake'], version: '0', host: hostname(), pid: 1 }, Date.now());
    const again = presence(nodes, 'gw-2');
    await again.start();
    await again.stop();
    db.close();
  });
});
