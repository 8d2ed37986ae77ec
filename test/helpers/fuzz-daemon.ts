/**
 * The daemon the fuzzers run against: the built gateway as a child process (so its RSS is its own, read from
 * /proc), with the limits the cases are sized for, and a check that hostile input never made it log at error
 * level (the peer's bad input is a warning; an error line is our failure, docs/architecture.md §7).
 */
import { join } from 'node:path';
import { startDaemon, type DaemonProcess } from './daemon.js';
import { tempDir } from './fixtures.js';
import { FUZZ_SOURCE, CANARY_SOURCE } from './fuzz-dicom.js';

export const FUZZ_TOKEN = 'fuzz-token-0123456789abcdef0123456789';
/** hl7.maxMessageBytes: small, so the oversize streams (just past it) stay cheap to send. */
export const FUZZ_MAX_MESSAGE_BYTES = 1 << 20;
/** dicom.maxPduBytes (the default). */
export const FUZZ_MAX_PDU_BYTES = 256 * 1024;

export interface FuzzDaemon extends DaemonProcess {
  dataDir: string;
  pid: number;
  /** Log lines at error level since start (each one a defect found by hostile input). */
  errorLines(): string[];
  stop(): Promise<void>;
}

export async function startFuzzDaemon(): Promise<FuzzDaemon> {
  const dataDir = join(tempDir('pag-fuzz-'), 'var');
  const daemon = await startDaemon({
    dataDir,
    models: [],
    storage: { minFreeBytes: 0 },
    dicom: {
      port: 0,
      studyQuietSeconds: 1,
      allowedPeers: [
        { aeTitle: '*', host: CANARY_SOURCE },
        { aeTitle: '*', host: FUZZ_SOURCE },
      ],
      maxPduBytes: FUZZ_MAX_PDU_BYTES,
      // a case that stops mid-association is cut off in a second or two instead of 10–30 s
      artimTimeoutMs: 2000,
      pduTimeoutMs: 2000,
    },
    hl7: { port: 0, maxMessageBytes: FUZZ_MAX_MESSAGE_BYTES, maxConnections: 64 },
    http: { port: 0, authToken: FUZZ_TOKEN },
  });
  const pid = daemon.child.pid;
  if (pid === undefined) throw new Error('the daemon has no pid');
  return {
    ...daemon,
    dataDir,
    pid,
    errorLines: () => daemon.output().split('\n').filter((l) => l.includes('"level":"error"')),
    async stop() {
      if (daemon.child.exitCode === null) {
        daemon.child.kill('SIGTERM');
        await daemon.exited;
      }
    },
  };
}
