/** `pacs-ai-gateway echo AE@HOST:PORT`: C-ECHO with our SCU, to check a peer before pointing results at it. */
import { echo } from '../dicom/index.js';
import { ExitCode, type ExitCodeValue } from './exit-codes.js';
import { readConfigOrExit } from './config-file.js';
import { resolveDicomTarget } from './dicom-target.js';

export interface EchoCommandOptions {
  config?: string;
  /** Calling AE title; default dicom.aeTitle. */
  aet?: string;
}

export async function echoCommand(targetText: string, opts: EchoCommandOptions): Promise<ExitCodeValue> {
  const { config } = readConfigOrExit(opts.config);
  const target = resolveDicomTarget(targetText, config);
  const callingAeTitle = opts.aet ?? config.dicom.aeTitle;
  const r = await echo({ host: target.host, port: target.port, callingAeTitle, calledAeTitle: target.aeTitle, connectTimeoutMs: config.outbox.connectTimeoutMs, dimseTimeoutMs: config.outbox.dimseTimeoutMs, ...(target.tls === undefined ? {} : { tls: target.tls }) });
  switch (r.kind) {
    case 'success':
      process.stdout.write(`C-ECHO ${callingAeTitle} → ${target.label}: Success (${r.durationMs} ms)\n`);
      return ExitCode.Ok;
    case 'failed':
      process.stderr.write(`C-ECHO ${callingAeTitle} → ${target.label}: status 0x${r.status.toString(16).padStart(4, '0')} ${r.statusText}\n`);
      return ExitCode.Failure;
    case 'not-negotiated':
      process.stderr.write(`C-ECHO ${callingAeTitle} → ${target.label}: ${r.detail}\n`);
      return ExitCode.PeerUnreachable;
    default:
      process.stderr.write(`C-ECHO ${callingAeTitle} → ${target.label}: ${r.kind}: ${r.detail}\n`);
      return ExitCode.PeerUnreachable;
  }
}
