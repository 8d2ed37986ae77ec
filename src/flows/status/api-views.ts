/** The read side of the HTTP API: studies, outbox rows, the status summary, destinations and nodes, from the database. */
import type { GatewayConfig } from '../../config/index.js';
import { OUTBOX_STATES, type Hl7MessagesStore, type NodeRegister, type JobsReader, type OutboxReader, type OutboxState, type ResultsStore, type StatusReader, type StudiesReader } from '../../db/index.js';
import type { HttpDeps } from '../../http/index.js';
import type { Spool } from '../../storage/index.js';
import { listDestinationHealth } from './destination-health.js';
import { listNodeStatus } from './node-view.js';
import { summaryPng } from './summary-png.js';
import { listStudyViews } from './study-view.js';

export interface ApiViewDeps {
  config: Pick<GatewayConfig, 'dicom' | 'hl7' | 'cluster'>;
  status: StatusReader;
  nodes: Pick<NodeRegister, 'list'>;
  studies: Pick<StudiesReader, 'list'>;
  jobs: JobsReader;
  results: Pick<ResultsStore, 'forStudy' | 'revisionsForStudy'>;
  outbox: OutboxReader;
  messages: Hl7MessagesStore;
  /** Summary images of flagged results, for the status page's thumbnails. */
  spool: Pick<Spool, 'read' | 'stat'>;
}

export type ApiViews = Pick<HttpDeps, 'listStudies' | 'listOutbox' | 'status' | 'listDestinations' | 'listNodes' | 'summaryImage'>;

export function apiViews(deps: ApiViewDeps): ApiViews {
  const nodes = () => listNodeStatus(deps.nodes, deps.config.cluster.heartbeatSeconds * 1000);
  return {
    listStudies: (q) => listStudyViews(deps, q),
    listOutbox: (q) => deps.outbox.list({ ...(isOutboxState(q.state) ? { state: q.state } : {}), limit: q.limit }),
    status: async () => ({ nodes: await nodes(), ...(await deps.status.summary()) }),
    listDestinations: () => listDestinationHealth(deps.config, deps.outbox),
    listNodes: nodes,
    summaryImage: (study, uid) => summaryPng(deps, study, uid),
  };
}

function isOutboxState(s: string | undefined): s is OutboxState {
  return (OUTBOX_STATES as readonly string[]).includes(s ?? '');
}
