/** The node register on PostgreSQL: every node of the cluster (src/db/nodes-repo.ts says what it is for). */
import { isoNow } from '../database.js';
import { toClusterNode, type ClusterNode, type NodeIdentity, type NodeRegister, type NodeRow } from '../nodes-repo.js';
import { guarded, rows, type Pool } from './pool.js';

export class PgNodesRepo implements NodeRegister {
  constructor(private readonly pool: Pool) {}

  register(node: NodeIdentity, nowMs: number): Promise<void> {
    return guarded('register', 'cluster_nodes', async () => {
      await this.pool.query(
        `INSERT INTO cluster_nodes (node_name, roles, version, host, pid, started_at, heartbeat_at, stopped_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6, NULL)
         ON CONFLICT (node_name) DO UPDATE SET roles = excluded.roles, version = excluded.version, host = excluded.host,
           pid = excluded.pid, started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at, stopped_at = NULL`,
        [node.name, node.roles.join(','), node.version, node.host, node.pid, isoNow(nowMs)],
      );
    });
  }

  heartbeat(name: string, nowMs: number): Promise<void> {
    return guarded('heartbeat', 'cluster_nodes', async () => {
      await this.pool.query('UPDATE cluster_nodes SET heartbeat_at = $1 WHERE node_name = $2', [isoNow(nowMs), name]);
    });
  }

  stopped(name: string, nowMs: number): Promise<void> {
    return guarded('stop', 'cluster_nodes', async () => {
      await this.pool.query('UPDATE cluster_nodes SET heartbeat_at = $1, stopped_at = $1 WHERE node_name = $2', [isoNow(nowMs), name]);
    });
  }

  list(): Promise<ClusterNode[]> {
    return guarded('list', 'cluster_nodes', async () => (await rows<NodeRow>(this.pool, 'SELECT * FROM cluster_nodes ORDER BY node_name', [])).map(toClusterNode));
  }
}
