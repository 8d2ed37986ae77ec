/**
 * `pacs-ai-gateway send FILES… --to DEST`: C-STORE files (directories recurse) with our SCU, as stored, to a
 * configured destination or AE@HOST:PORT. Prints a progress bar on a terminal, else one line per file; then a
 * summary and every file that was not stored with its DICOM status or reason.
 */
import { describeOutcome, storeFiles, type FileResult, type StoreFilesResult } from '../dicom/index.js';
import { ExitCode, UsageError, type ExitCodeValue } from './exit-codes.js';
import { collectFiles, type InputFile } from './collect-files.js';
import { readConfigOrExit } from './config-file.js';
import { resolveDicomTarget, type DicomTarget } from './dicom-target.js';
import { ProgressBar, type ProgressStream } from './progress.js';

/** Files per association: bounds the meta headers held and stays far below 128 presentation contexts in practice. */
const FILES_PER_ASSOCIATION = 500;

export interface SendCommandOptions {
  to: string;
  config?: string;
  /** Calling AE title; default dicom.aeTitle. */
  aet?: string;
}

type Verdict = 'stored' | 'skipped' | 'failed';

export async function sendCommand(args: readonly string[], opts: SendCommandOptions, io: { out: ProgressStream; err: ProgressStream } = { out: process.stdout, err: process.stderr }): Promise<ExitCodeValue> {
  const { config } = readConfigOrExit(opts.config);
  const target = resolveDicomTarget(opts.to, config);
  const files = await collectFiles(args);
  if (files.length === 0) throw new UsageError('no files to send (the directories given are empty)');
  const callingAeTitle = opts.aet ?? config.dicom.aeTitle;
  const bar = new ProgressBar(io.err, files.length);
  const started = Date.now();
  const counts: Record<Verdict, number> = { stored: 0, skipped: 0, failed: 0 };
  const problems: string[] = [];
  let anyOpened = false;
  let lastFailure: string | undefined;

  const report = (input: InputFile, result: FileResult): void => {
    const verdict = verdictOf(input, result);
    counts[verdict] += 1;
    const line = `${verdict === 'stored' ? 'stored ' : verdict === 'skipped' ? 'skipped' : 'FAILED '} ${result.file}: ${verdict === 'skipped' ? 'not a DICOM file' : describeOutcome(result.outcome)}`;
    if (verdict === 'failed') problems.push(`  ${result.file}: ${describeOutcome(result.outcome)}`);
    if (bar.active) bar.tick(verdict !== 'failed');
    else io.out.write(`${line}\n`);
  };

  for (let start = 0; start < files.length; start += FILES_PER_ASSOCIATION) {
    const batch = files.slice(start, start + FILES_PER_ASSOCIATION);
    const reported = new Set<number>();
    const result: StoreFilesResult = await storeFiles(
      { host: target.host, port: target.port, callingAeTitle, calledAeTitle: target.aeTitle, connectTimeoutMs: config.outbox.connectTimeoutMs, dimseTimeoutMs: config.outbox.dimseTimeoutMs, ...(target.tls === undefined ? {} : { tls: target.tls }) },
      batch.map((f) => ({ path: f.path })),
      { onFile: (r, i) => (reported.add(i), report(batch[i] as InputFile, r)) },
    );
    result.files.forEach((r, i) => reported.has(i) || report(batch[i] as InputFile, r));
    const assoc = result.association;
    if (assoc.kind === 'released') anyOpened = true;
    else if (assoc.kind !== 'not-opened') {
      lastFailure = `${assoc.kind}: ${assoc.detail}`;
      if (result.files.some((f) => f.outcome.kind === 'stored')) anyOpened = true;
    }
  }
  bar.finish();
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const skipped = counts.skipped > 0 ? `, ${counts.skipped} skipped (not DICOM)` : '';
  io.out.write(`${files.length} files to ${target.label}: ${counts.stored} stored, ${counts.failed} not stored${skipped} (${seconds} s)\n`);
  if (problems.length > 0) io.err.write(`not stored:\n${problems.join('\n')}\n`);
  if (counts.failed === 0) return ExitCode.Ok;
  if (!anyOpened && lastFailure !== undefined) {
    io.err.write(`${describeTarget(target)} could not be reached or refused the association: ${lastFailure}\n`);
    return ExitCode.PeerUnreachable;
  }
  return ExitCode.FilesFailed;
}

/** A non-DICOM file found while walking a directory is skipped; one named explicitly is a failure. */
function verdictOf(input: InputFile, result: FileResult): Verdict {
  if (result.outcome.kind === 'stored') return 'stored';
  if (input.fromDirectory && result.outcome.kind === 'invalid-file' && /no "DICM" prefix/.test(result.outcome.detail)) return 'skipped';
  return 'failed';
}

function describeTarget(t: DicomTarget): string {
  return `${t.aeTitle}@${t.host}:${t.port}`;
}
