/** One log line per worker-thread crash (DB writer, slice preparation); the calls it failed are logged where handled. */
import type { Logger } from '../log.js';
import type { WorkerCrash } from '../workers/index.js';

export function logWorkerCrash(log: Logger): (crash: WorkerCrash) => void {
  return (crash) =>
    log.error('worker crashed', { code: crash.error.code, worker: crash.worker, reason: crash.reason, rejectedCalls: crash.rejectedCalls, willRestart: crash.willRestart });
}
