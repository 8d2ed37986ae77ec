/** The read side of the HTTP API: studies, outbox rows, the status summary and destinations, from SQLite. */
import type { GatewayConfig } from '../../config/index.js';
import { OUTBOX_STATES, StatusRepo, type Db, type Hl7MessagesRepo, type JobsRepo, type OutboxRepo, type OutboxState, type ResultsRepo, type StudiesRepo } from '../../db/index.js';
import type { HttpDeps } from '../../http/index.js';
import { listDestinationHealth } from './destination-health.js';
import { listStudyViews } from './study-view.js';

export interface ApiViewDeps {
  config: Pick<GatewayConfig, 'dicom' | 'hl7'>;
  db: Db;
  studies: StudiesRepo;
  jobs: JobsRepo;
  results: ResultsRepo;
  outbox: OutboxRepo;
  messages: Hl7MessagesRepo;
}

export type ApiViews = Pick<HttpDeps, 'listStudies' | 'listOutbox' | 'status' | 'listDestinations'>;

export function apiViews(deps: ApiViewDeps): ApiViews {
  const status = new StatusRepo(deps.db);
  return {
    listStudies: (q) => listStudyViews(deps, q),
    listOutbox: (q) => deps.outbox.list({ ...(isOutboxState(q.state) ? { state: q.state } : {}), limit: q.limit }),
    status: () => status.summary(),
    listDestinations: () => listDestinationHealth(deps.config, deps.outbox),
  };
}

function isOutboxState(s: string | undefined): s is OutboxState {
  return (OUTBOX_STATES as readonly string[]).includes(s ?? '');
}
