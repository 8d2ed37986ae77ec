/**
 * The node register: each gateway node records itself at start, refreshes its heartbeat while it runs and marks
 * itself stopped at a clean stop. The status page, `/api/status` and `pacs-ai-gateway status` list the nodes from
 * it; a node whose heartbeat is older than a few intervals is shown as gone (killed, or cut off from the database).
 * On SQLite the register holds the one node; on PostgreSQL every node of the cluster (src/db/pg/pg-nodes-repo.ts).
 */
import type { Db } from './database.js';
import { isoNow } from './database.js';

export interface NodeIdentity {
  /** cluster.nodeName */
  name: string;
  /** cluster.roles */
  roles: readonly string[];
  /** The gateway's version (package.json). */
  version: string;
  host: string;
  pid: number;
}

export interface ClusterNode extends NodeIdentity {
  startedAt: string;
  heartbeatAt: string;
  /** Set by a clean stop; null while running (or when the node died without stopping). */
  stoppedAt: string | null;
}

export interface NodeRegister {
  /** This node started: its row is created or replaced (a restart under the same name). */
  register(node: NodeIdentity, nowMs: number): Promise<void>;
  /** This node is alive now. */
  heartbeat(name: string, nowMs: number): Promise<void>;
  /** This node stopped cleanly. */
  stopped(name: string, nowMs: number): Promise<void>;
  /** Every node that ever registered, by name. */
  list(): Promise<ClusterNode[]>;
}

/** The register's row, the same on both engines. */
export interface NodeRow {
  node_name: string;
  roles: string;
  version: string;
  host: string;
  pid: number;
  started_at: string;
  heartbeat_at: string;
  stopped_at: string | null;
}

export function toClusterNode(r: NodeRow): ClusterNode {
  return {
    name: r.node_name,
    roles: r.roles.split(',').filter((x) => x !== ''),
    version: r.version,
    host: r.host,
    pid: r.pid,
    startedAt: r.started_at,
    heartbeatAt: r.heartbeat_at,
    stoppedAt: r.stopped_at,
  };
}

export class NodesRepo implements NodeRegister {
  private readonly s;

  constructor(db: Db) {
    this.s = {
      register: db.prepare(
        `INSERT INTO cluster_nodes (node_name, roles, version, host, pid, started_at, heartbeat_at, stopped_at)
         VALUES (@name, @roles, @version, @host, @pid, @now, @now, NULL)
         ON CONFLICT (node_name) DO UPDATE SET roles = excluded.roles, version = excluded.version, host = excluded.host,
           pid = excluded.pid, started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at, stopped_at = NULL`,
      ),
      heartbeat: db.prepare<[string, string]>('UPDATE cluster_nodes SET heartbeat_at = ? WHERE node_name = ?'),
      stopped: db.prepare<[string, string, string]>('UPDATE cluster_nodes SET heartbeat_at = ?, stopped_at = ? WHERE node_name = ?'),
      list: db.prepare<[], NodeRow>('SELECT * FROM cluster_nodes ORDER BY node_name'),
    };
  }

  async register(node: NodeIdentity, nowMs: number): Promise<void> {
    this.s.register.run({ name: node.name, roles: node.roles.join(','), version: node.version, host: node.host, pid: node.pid, now: isoNow(nowMs) });
  }

  async heartbeat(name: string, nowMs: number): Promise<void> {
    this.s.heartbeat.run(isoNow(nowMs), name);
  }

  async stopped(name: string, nowMs: number): Promise<void> {
    const now = isoNow(nowMs);
    this.s.stopped.run(now, now, name);
  }

  async list(): Promise<ClusterNode[]> {
    return this.s.list.all().map(toClusterNode);
  }
}
