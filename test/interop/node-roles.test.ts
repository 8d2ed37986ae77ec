/**
 * cluster.roles and the node register on one gateway: a node without the intake role opens no DICOM or MLLP
 * listener, without analysis loads no model, and every node lists itself (API, status, CLI) with its heartbeat.
 */
import { expect } from 'chai';
import { join } from 'node:path';
import { NodesRepo, openDatabase } from '../../src/db/index.js';
import type { NodeStatus, StatusReport } from '../../src/http/index.js';
import { runCleanups } from '../helpers/fixtures.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';

describe('interop: cluster roles and the node register', function () {
  this.timeout(60_000);
  let gw: TestGateway | undefined;
  after(async () => {
    await gw?.stop();
    runCleanups();
  });

  it('a delivery-only node listens for no DICOM or HL7, loads no model, is ready, and lists itself; its stop is recorded', async () => {
    gw = await startGateway({ cluster: { nodeName: 'gw-delivery-1', roles: ['delivery'], heartbeatSeconds: 1 } });
    expect(gw.dicomPort, 'no DICOM listener').to.equal(-1);
    expect(gw.hl7Port, 'no MLLP listener').to.equal(undefined);
    const ready = await gw.getJson<{ ok: boolean; models: unknown[] }>('/readyz');
    expect(ready.status).to.equal(200);
    expect(ready.body.models).to.deep.equal([]);
    const nodes = await gw.getJson<NodeStatus[]>('/api/nodes');
    expect(nodes.body.map((n) => [n.name, n.state, n.roles.join(',')])).to.deep.equal([['gw-delivery-1', 'up', 'delivery']]);
    const status = await gw.getJson<StatusReport>('/api/status');
    expect(status.body.nodes.map((n) => n.name)).to.deep.equal(['gw-delivery-1']);
    // The heartbeat moves.
    const first = nodes.body[0]?.heartbeatAt ?? '';
    await new Promise((r) => setTimeout(r, 1_300));
    expect((await gw.getJson<NodeStatus[]>('/api/nodes')).body[0]?.heartbeatAt).to.not.equal(first);
    await gw.stop();
    const db = openDatabase(join(gw.dataDir, 'gateway.sqlite'));
    const [row] = await new NodesRepo(db).list();
    db.close();
    expect(row?.stoppedAt, 'a clean stop is recorded').to.be.a('string');
    gw = undefined;
  });

  it('an intake-only node takes associations and messages but loads no model', async () => {
    gw = await startGateway({ cluster: { nodeName: 'gw-intake-1', roles: ['intake'] } });
    expect(gw.dicomPort).to.be.above(0);
    expect(gw.hl7Port).to.be.a('number');
    expect((await gw.getJson<{ models: unknown[] }>('/readyz')).body.models).to.deep.equal([]);
    await gw.stop();
    gw = undefined;
  });
});
