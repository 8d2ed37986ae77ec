/**
 * Several gateway nodes as real daemon processes (so a test can kill -9 one) on one PostgreSQL database and one
 * shared dataDir, optionally behind HAProxy (TCP mode, /readyz health checks), with Orthanc as the PACS they send
 * results to. Also the few queries the cluster tests assert with, straight on the database.
 */
import pg from 'pg';
import { freePort, tempDir, waitFor } from './fixtures.js';
import { startDaemon, type DaemonProcess } from './daemon.js';
import { startHaproxy, type Haproxy } from './haproxy.js';
import type { Orthanc } from './orthanc.js';
import type { PostgresCluster } from './postgres.js';

export interface NodeSpec {
  name: string;
  roles?: Array<'intake' | 'analysis' | 'delivery'>;
}

export interface GatewayNode {
  name: string;
  dicomPort: number;
  hl7Port: number;
  httpPort: number;
  daemon: DaemonProcess | undefined;
  /** kill -9: no stop, no cleanup, leases left held. */
  kill(): Promise<void>;
  /** SIGTERM and wait. */
  stop(): Promise<void>;
  /** Starts the node again on the same ports, name and config. */
  restart(): Promise<void>;
  output(): string;
}

export interface ClusterOptions {
  pg: PostgresCluster;
  database: string;
  nodes: NodeSpec[];
  pacs?: Orthanc;
  /** Send to the PACS through this port instead of Orthanc's own (a relay in between). */
  pacsPort?: number;
  /** Seconds: the lease after which another node takes a dead node's work (default 10, the minimum). */
  leaseSeconds?: number;
  studyQuietSeconds?: number;
  /** Put HAProxy in front (DICOM and MLLP frontends, /readyz checks). */
  haproxy?: boolean;
  /** More config for every node, merged last. */
  extra?: Record<string, unknown>;
}

export class GatewayCluster {
  readonly db: pg.Pool;

  private constructor(
    readonly nodes: GatewayNode[],
    readonly dataDir: string,
    readonly haproxy: Haproxy | undefined,
    url: string,
  ) {
    this.db = new pg.Pool({ connectionString: url, max: 4 });
    this.db.on('error', () => undefined); // a test restarts the server: idle connections die
  }

  static async start(o: ClusterOptions): Promise<GatewayCluster> {
    const dataDir = tempDir('pag-cluster-spool-');
    const url = o.pg.url(o.database);
    const nodes: GatewayNode[] = [];
    for (const spec of o.nodes) {
      const ports = { dicom: await freePort(), hl7: await freePort(), http: await freePort() };
      const config = {
        dataDir,
        database: { url, poolSize: 8, connectTimeoutMs: 2_000 },
        cluster: { nodeName: spec.name, roles: spec.roles ?? ['intake', 'analysis', 'delivery'], leaseSeconds: o.leaseSeconds ?? 10, heartbeatSeconds: 1, pollMs: 250 },
        dicom: {
          port: ports.dicom,
          studyQuietSeconds: o.studyQuietSeconds ?? 3,
          destinations: o.pacs === undefined ? [] : [{ name: 'pacs', aeTitle: o.pacs.aeTitle, host: '127.0.0.1', port: o.pacsPort ?? o.pacs.dicomPort }],
        },
        hl7: { port: ports.hl7 },
        http: { port: ports.http },
        storage: { minFreeBytes: 0 },
        outbox: { baseDelayMs: 500, maxDelayMs: 2_000 },
        log: { level: 'info' },
        ...o.extra,
      };
      const node: GatewayNode = {
        name: spec.name,
        dicomPort: ports.dicom,
        hl7Port: ports.hl7,
        httpPort: ports.http,
        daemon: undefined,
        output: () => node.daemon?.output() ?? '',
        async kill() {
          node.daemon?.child.kill('SIGKILL');
          await node.daemon?.exited;
        },
        async stop() {
          if (node.daemon === undefined || node.daemon.child.exitCode !== null || node.daemon.child.signalCode !== null) return;
          node.daemon.child.kill('SIGTERM');
          await node.daemon.exited;
        },
        async restart() {
          node.daemon = await startDaemon(config);
        },
      };
      nodes.push(node);
    }
    // Together, as an operator's rollout would: the schema is migrated once, under the advisory lock.
    await Promise.all(nodes.map((n) => n.restart()));
    let haproxy: Haproxy | undefined;
    if (o.haproxy === true) {
      haproxy = await startHaproxy({
        frontends: [
          { name: 'dicom', balance: 'roundrobin', servers: nodes.map((n) => ({ name: n.name, port: n.dicomPort, checkPort: n.httpPort })), httpCheck: '/readyz' },
          { name: 'mllp', balance: 'roundrobin', servers: nodes.map((n) => ({ name: n.name, port: n.hl7Port, checkPort: n.httpPort })), httpCheck: '/readyz' },
        ],
        checkIntervalMs: 300,
      });
      for (const n of nodes) await waitFor(`HAProxy to see ${n.name} UP`, async () => (await haproxy?.status('dicom', n.name))?.startsWith('UP'), 15_000);
    }
    return new GatewayCluster(nodes, dataDir, haproxy, url);
  }

  node(name: string): GatewayNode {
    const n = this.nodes.find((x) => x.name === name);
    if (n === undefined) throw new Error(`no node ${name}`);
    return n;
  }

  async query<T extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<T[]> {
    return (await this.db.query<T>(text, values)).rows;
  }

  /** How many instances each node indexed (instances.received_by). */
  async instancesByNode(): Promise<Record<string, number>> {
    const rows = await this.query<{ received_by: string; n: number }>('SELECT received_by, COUNT(*)::int AS n FROM instances GROUP BY received_by ORDER BY received_by');
    return Object.fromEntries(rows.map((r) => [r.received_by, r.n]));
  }

  /** Analysis jobs per study and state: exactly-once shows as one `done` each. */
  async analysisJobs(): Promise<Array<{ study: string; state: string; n: number }>> {
    return this.query('SELECT study_instance_uid AS study, state, COUNT(*)::int AS n FROM jobs WHERE kind = $1 GROUP BY 1, 2 ORDER BY 1, 2', ['analyze-study']);
  }

  /** Node logs, for a failing test's message. */
  logs(lines = 30): string {
    return this.nodes.map((n) => `--- ${n.name}\n${n.output().split('\n').slice(-lines).join('\n')}`).join('\n');
  }

  async stop(): Promise<void> {
    await this.haproxy?.stop();
    await Promise.all(this.nodes.map((n) => n.stop()));
    await this.db.end().catch(() => undefined);
  }
}

/** The SRs Orthanc holds, per Study Instance UID. */
export async function srsPerStudy(orthanc: Orthanc): Promise<Record<string, string[]>> {
  const series = await orthanc.postJson<Array<{ ParentStudy: string; Instances: string[] }>>('/tools/find', { Level: 'Series', Query: { Modality: 'SR' }, Expand: true });
  const out: Record<string, string[]> = {};
  for (const s of series) {
    const study = await orthanc.getJson<{ MainDicomTags: { StudyInstanceUID: string } }>(`/studies/${s.ParentStudy}`);
    const uid = study.MainDicomTags.StudyInstanceUID;
    out[uid] = [...(out[uid] ?? []), ...s.Instances];
  }
  return out;
}
