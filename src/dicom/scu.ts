/**
 * DICOM SCU: C-ECHO and C-STORE out of the gateway (PS3.4 Annex A and B, PS3.7 §9.1.1 and §9.3.1), on our own
 * upper layer. Files travel as stored: one presentation context per (SOP class, transfer syntax) from each file's
 * meta header, dataset bytes streamed from disk unchanged. Results are typed for an outbox that retries.
 */
import { GatewayError, describeError } from '../errors.js';
import { silentLogger, type Logger } from '../log.js';
import { parseAeTitle, type AeTitle } from '../net/index.js';
import { clientTlsOptions, readTlsFiles, type TlsClientConfig } from '../tls/index.js';
import { CommandField, NO_DATASET, type DimseCommand } from './dimse-command.js';
import { ScuAssociation, type NegotiatedContext, type ScuAssociationOptions } from './scu-association.js';
import { inputName, openDataset, planContexts, readMeta, type MetaResult, type ScuInput } from './scu-file.js';
import {
  contextRefusal,
  describeFailure,
  describeOutcome,
  hexStatus,
  isRefusalRetryable,
  isStatusRetryable,
  statusText,
  storeOutcome,
  type AssociationFailure,
  type ContextRefusal,
  type InstanceOutcome,
} from './scu-outcomes.js';
import { TransferSyntax, VERIFICATION_SOP_CLASS } from './uids.js';

/**
 * TLS to the peer (PS3.15 Annex B.9 profiles: TLS 1.2 or later): CA, client certificate and key files (read on
 * each call, so a renewed certificate is used without a restart), the name to check, and whether to verify.
 */
export type ScuTlsOptions = TlsClientConfig;

/** Where to send and how long to wait. Times are in milliseconds. */
export interface ScuOptions {
  host: string;
  port: number;
  /** Ours (the gateway's AE title). */
  callingAeTitle: string;
  /** The peer's. */
  calledAeTitle: string;
  /** TCP connect. Default 10 000. */
  connectTimeoutMs?: number;
  /** ARTIM: A-ASSOCIATE-AC/RJ after our RQ, A-RELEASE-RP after ours. Default 30 000. */
  associationTimeoutMs?: number;
  /** A DIMSE response after the request's last byte, or the peer not reading our data. Default 60 000. */
  dimseTimeoutMs?: number;
  /** Our receive limit (max PDU length we advertise and enforce). Default 65 536; 4 096 – 16 777 216. */
  maxPduBytes?: number;
  tls?: ScuTlsOptions;
  /** Child logger bindings are added (`component: 'dicom.scu'`, `assoc`). Default: silent. */
  log?: Logger;
}

export const SCU_DEFAULTS = { connectTimeoutMs: 10_000, associationTimeoutMs: 30_000, dimseTimeoutMs: 60_000, maxPduBytes: 65_536 } as const;

/** The outcome of `echo`. */
export type EchoResult =
  | { kind: 'success'; status: number; durationMs: number }
  | { kind: 'failed'; status: number; statusText: string; retryable: boolean }
  | { kind: 'not-negotiated'; reason: ContextRefusal; detail: string; retryable: boolean }
  | AssociationFailure;

/** One input of `storeFiles`, in the order given. */
export interface FileResult {
  /** The path, or the name given with bytes. */
  file: string;
  sopClassUid?: string;
  sopInstanceUid?: string;
  transferSyntaxUid?: string;
  datasetBytes?: number;
  /** The file's meta header disagreed with its dataset about the SOP UIDs (the dataset's were sent). */
  note?: string;
  outcome: InstanceOutcome;
}

/** How the association of a `storeFiles` call ended. A failure after the last response leaves stored files stored. */
export type AssociationEnd = { kind: 'released' } | { kind: 'not-opened'; detail: string } | AssociationFailure;

/** Optional callbacks of `storeFiles`. */
export interface StoreHooks {
  /** Called once per input whose outcome is known before the association ends, in input order. Must not throw. */
  onFile?: (result: FileResult, index: number) => void;
}

export interface StoreFilesResult {
  association: AssociationEnd;
  files: FileResult[];
  durationMs: number;
}

function invalidOption(field: string, detail: string): GatewayError {
  return new GatewayError('GW_ERR_CONFIG_INVALID', `SCU option ${field}: ${detail}`, { context: { field } });
}

/** Fills defaults and checks the options; throws GW_ERR_CONFIG_INVALID (a programming or config error, not a peer's). */
function resolveOptions(options: ScuOptions): ScuAssociationOptions {
  const o = { ...SCU_DEFAULTS, ...definedOnly(options) };
  if (o.host.trim() === '') throw invalidOption('host', 'empty');
  if (!Number.isInteger(o.port) || o.port < 1 || o.port > 65535) throw invalidOption('port', `${o.port} is not a TCP port`);
  const aeTitle = (field: 'callingAeTitle' | 'calledAeTitle'): AeTitle => {
    const parsed = parseAeTitle(o[field]);
    if (!parsed.ok) throw invalidOption(field, parsed.reason);
    return parsed.aeTitle;
  };
  const callingAeTitle = aeTitle('callingAeTitle');
  const calledAeTitle = aeTitle('calledAeTitle');
  for (const field of ['connectTimeoutMs', 'associationTimeoutMs', 'dimseTimeoutMs'] as const) {
    if (!Number.isFinite(o[field]) || o[field] <= 0) throw invalidOption(field, `${o[field]} is not a positive number of milliseconds`);
  }
  if (!Number.isInteger(o.maxPduBytes) || o.maxPduBytes < 4096 || o.maxPduBytes > 16 * 1024 * 1024) {
    throw invalidOption('maxPduBytes', `${o.maxPduBytes} is outside 4096–16777216`);
  }
  return {
    host: o.host,
    port: o.port,
    callingAeTitle,
    calledAeTitle,
    connectTimeoutMs: o.connectTimeoutMs,
    associationTimeoutMs: o.associationTimeoutMs,
    dimseTimeoutMs: o.dimseTimeoutMs,
    maxPduBytes: o.maxPduBytes,
    log: (options.log ?? silentLogger).child({ component: 'dicom.scu' }),
  };
}

function definedOnly<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** Adds the TLS options when asked for; a certificate file that cannot be used fails the call without connecting. */
function withTls(o: ScuAssociationOptions, tls: ScuTlsOptions | undefined): ScuAssociationOptions | AssociationFailure {
  if (tls === undefined) return o;
  try {
    return { ...o, tls: clientTlsOptions(readTlsFiles(tls, 'tls'), o.host, o.port, tls) };
  } catch (err) {
    return {
      kind: 'connection-failed',
      peer: `${o.host}:${o.port}`,
      callingAeTitle: o.callingAeTitle,
      calledAeTitle: o.calledAeTitle,
      retryable: false,
      detail: `TLS files of this destination cannot be used: ${describeError(err)}`,
    };
  }
}

/** C-ECHO (Verification, PS3.4 Annex A) on a fresh association. Never rejects for a peer's behaviour. */
export async function echo(options: ScuOptions): Promise<EchoResult> {
  const o = withTls(resolveOptions(options), options.tls);
  if ('kind' in o) return o;
  const started = Date.now();
  const contexts = [{ id: 1, abstractSyntax: VERIFICATION_SOP_CLASS, transferSyntaxes: [TransferSyntax.ExplicitVRLittleEndian, TransferSyntax.ImplicitVRLittleEndian] }];
  const opened = await ScuAssociation.open(o, contexts);
  if (opened.kind !== 'established') {
    o.log.warn('C-ECHO association failed', { kind: opened.kind, detail: describeFailure(opened) });
    return opened;
  }
  const assoc = opened.association;
  const refusal = refusalOf(opened.contexts[0]);
  if (refusal !== undefined) {
    await assoc.release();
    return { kind: 'not-negotiated', reason: refusal, detail: `${o.calledAeTitle} refused the Verification SOP class: ${refusal}`, retryable: isRefusalRetryable(refusal) };
  }
  const messageId = assoc.messageId();
  const rsp = await assoc.request(1, { commandField: CommandField.CEchoRq, messageId, affectedSopClassUid: VERIFICATION_SOP_CLASS, dataSetType: NO_DATASET });
  if (rsp.kind !== 'response') return rsp.kind === 'source-failed' ? rsp.failure : rsp;
  const bad = checkResponse(rsp.command, CommandField.CEchoRsp, messageId);
  if (bad !== undefined) return assoc.abortForViolation(bad);
  await assoc.release(); // the echo was answered: a slow release does not change that
  const status = rsp.command.status as number;
  if (status !== 0) return { kind: 'failed', status, statusText: statusText(status), retryable: isStatusRetryable(status) };
  return { kind: 'success', status, durationMs: Date.now() - started };
}

/**
 * C-STORE each input on one association, in order, and report per input. Inputs without a usable meta header,
 * and files whose context the peer refused, are not sent. Never rejects for a peer's or a file's behaviour.
 */
export async function storeFiles(options: ScuOptions, inputs: ReadonlyArray<ScuInput>, hooks: StoreHooks = {}): Promise<StoreFilesResult> {
  const resolved = resolveOptions(options);
  const o = withTls(resolved, options.tls);
  const started = Date.now();
  const metas: MetaResult[] = [];
  for (const input of inputs) metas.push(await readMeta(input)); // one at a time: a thousand files, not a thousand fds
  // A slot without an outcome is waiting its turn; `finish` settles every one before returning.
  const slots: Array<Omit<FileResult, 'outcome'> & { outcome: InstanceOutcome | undefined }> = inputs.map((input, i) => {
    const m = metas[i] as MetaResult;
    if (m.kind === 'invalid') return { file: inputName(input, i), outcome: { kind: 'invalid-file', detail: m.detail, retryable: false } };
    const { sopClassUid, sopInstanceUid, transferSyntaxUid, datasetLength, metaMismatch } = m.meta;
    const note = metaMismatch === undefined ? {} : { note: metaMismatch };
    return { file: inputName(input, i), sopClassUid, sopInstanceUid, transferSyntaxUid, datasetBytes: datasetLength, ...note, outcome: undefined };
  });
  const plan = planContexts(metas.map((m) => (m.kind === 'ok' ? m.meta : undefined)));
  plan.contextIds.forEach((id, i) => {
    const slot = slots[i];
    if (id === undefined && slot !== undefined && slot.outcome === undefined) {
      slot.outcome = { kind: 'not-negotiated', reason: 'context-limit', retryable: true, detail: 'more than 128 distinct (SOP class, transfer syntax) pairs in one call: send this file on another association' };
    }
  });
  // Each input's outcome as soon as it is known (a CLI progress bar); ones the association ended before come in the result only.
  const settled = (i: number): void => {
    const slot = slots[i];
    if (slot?.outcome !== undefined) hooks.onFile?.({ ...slot, outcome: slot.outcome }, i);
  };
  const finish = (association: AssociationEnd): StoreFilesResult => {
    const files = slots.map((slot): FileResult => ({ ...slot, outcome: slot.outcome ?? unsent(association) }));
    const result = { association, files, durationMs: Date.now() - started };
    logSummary(resolved.log, result);
    return result;
  };
  if ('kind' in o) return finish(o);
  if (plan.contexts.length === 0) return finish({ kind: 'not-opened', detail: 'no input had a usable meta header' });

  const opened = await ScuAssociation.open(o, plan.contexts);
  if (opened.kind !== 'established') return finish(opened);
  const assoc = opened.association;
  const negotiated = new Map(opened.contexts.map((c) => [c.id, c]));
  for (let i = 0; i < inputs.length; i++) {
    const r = slots[i];
    const contextId = plan.contextIds[i];
    const m = metas[i];
    if (r === undefined || r.outcome !== undefined || contextId === undefined || m?.kind !== 'ok') {
      settled(i);
      continue;
    }
    const ctx = negotiated.get(contextId) as NegotiatedContext;
    const refusal = refusalOf(ctx);
    if (refusal !== undefined) {
      r.outcome = {
        kind: 'not-negotiated',
        reason: refusal,
        retryable: isRefusalRetryable(refusal),
        detail: `${o.calledAeTitle}@${o.host}:${o.port} refused SOP class ${m.meta.sopClassUid} in transfer syntax ${m.meta.transferSyntaxUid}: ${refusal.replace(/-/g, ' ')}`,
      };
      settled(i);
      continue;
    }
    let source;
    try {
      source = await openDataset(inputs[i] as ScuInput, m.meta);
    } catch (err) {
      r.outcome = { kind: 'invalid-file', retryable: false, detail: `cannot open the file: ${err instanceof Error ? err.message : String(err)}` };
      settled(i);
      continue;
    }
    const messageId = assoc.messageId();
    const rq: DimseCommand = {
      commandField: CommandField.CStoreRq,
      messageId,
      affectedSopClassUid: m.meta.sopClassUid,
      affectedSopInstanceUid: m.meta.sopInstanceUid,
      priority: 0, // medium (PS3.7 §9.1.1.1)
      dataSetType: 0x0000, // anything but 0x0101: a dataset follows
    };
    const rsp = await assoc.request(contextId, rq, source);
    await source.close().catch(() => undefined);
    if (rsp.kind === 'source-failed') {
      r.outcome = { kind: 'invalid-file', retryable: false, detail: rsp.detail };
      return finish(rsp.failure);
    }
    if (rsp.kind !== 'response') return finish(rsp);
    const bad = checkResponse(rsp.command, CommandField.CStoreRsp, messageId, m.meta.sopInstanceUid);
    if (bad !== undefined) return finish(assoc.abortForViolation(bad));
    r.outcome = storeOutcome(rsp.command.status as number, rsp.command.errorComment);
    settled(i);
  }
  return finish(await assoc.release());
}

/** What an outbox does with one file's result. */
export type DeliveryVerdict = { kind: 'delivered'; note?: string } | { kind: 'failed'; retryable: boolean; reason: string };

/**
 * One file's result as an outbox verdict: delivered only on Success or a warning status (the peer keeps the
 * object, PS3.7 Annex C); every other outcome fails with its retry decision and a one-line reason naming the file.
 */
export function deliveryVerdict(result: FileResult): DeliveryVerdict {
  const o = result.outcome;
  if (o.kind === 'stored') return o.status === 0 ? { kind: 'delivered' } : { kind: 'delivered', note: `${hexStatus(o.status)} ${o.statusText}` };
  return { kind: 'failed', retryable: o.retryable, reason: `${result.file}: ${describeOutcome(o)}` };
}

/** Holds a destination's options; the same calls as the functions. */
export class DicomScu {
  constructor(private readonly options: ScuOptions) {
    resolveOptions(options); // fail at construction, not at the first send
  }

  echo(): Promise<EchoResult> {
    return echo(this.options);
  }

  storeFiles(inputs: ReadonlyArray<ScuInput>): Promise<StoreFilesResult> {
    return storeFiles(this.options, inputs);
  }
}

/** The outcome of a file the association ended before. After a release every file has its own, so that branch only guards. */
function unsent(association: AssociationEnd): InstanceOutcome {
  if (association.kind === 'released' || association.kind === 'not-opened') {
    return { kind: 'not-negotiated', reason: 'no-reason', retryable: true, detail: 'not sent' };
  }
  return { kind: 'association-failed', failure: association, retryable: association.retryable };
}

function refusalOf(ctx: NegotiatedContext | undefined): ContextRefusal | undefined {
  return ctx === undefined ? 'no-reason' : contextRefusal(ctx.result);
}

/** PS3.7 §9.3.1.2 / §9.3.5.2: the response must answer this request. Returns what is wrong, if anything. */
function checkResponse(rsp: DimseCommand, expectedField: number, messageId: number, sopInstanceUid?: string): string | undefined {
  if (rsp.commandField !== expectedField) return `response command field 0x${rsp.commandField.toString(16)}, expected 0x${expectedField.toString(16)}`;
  if (rsp.messageIdBeingRespondedTo !== messageId) return `response answers message ${String(rsp.messageIdBeingRespondedTo)}, expected ${messageId}`;
  if (rsp.status === undefined) return 'response without a Status (0000,0900)';
  if (sopInstanceUid !== undefined && rsp.affectedSopInstanceUid !== undefined && rsp.affectedSopInstanceUid !== sopInstanceUid) {
    return `response names SOP instance ${rsp.affectedSopInstanceUid}, we sent ${sopInstanceUid}`;
  }
  return undefined;
}

function logSummary(log: Logger, result: StoreFilesResult): void {
  const count = (kind: InstanceOutcome['kind']): number => result.files.filter((f) => f.outcome.kind === kind).length;
  const fields = {
    association: result.association.kind,
    stored: count('stored'),
    failed: count('failed'),
    notNegotiated: count('not-negotiated'),
    invalid: count('invalid-file'),
    unsent: count('association-failed'),
    durationMs: result.durationMs,
  };
  if (result.association.kind === 'released' || result.association.kind === 'not-opened') log.info('C-STORE association ended', fields);
  else log.warn('C-STORE association failed', { ...fields, detail: describeFailure(result.association) });
}
