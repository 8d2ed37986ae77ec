/**
 * What a received C-STORE becomes: a spool file (meta header + the dataset bytes exactly as received),
 * fsynced and renamed, then an index row committed, then Success. Any failure on the way answers a
 * failure status and leaves nothing half-stored.
 */
import { ERROR_CODES, GatewayError, describeError } from '../../errors.js';
import { commitOutcomeUnknown, type InstancesStore, type StudyProgress } from '../../db/index.js';
import {
  Status,
  buildFileMetaHeader,
  discardingSink,
  isImageSopClass,
  parseUid,
  readDatasetHeader,
  type DatasetHeader,
  type HeaderResult,
  type StoreHandler,
  type StoreOutcome,
  type StoreRequest,
  type StoreSink,
} from '../../dicom/index.js';
import type { Logger } from '../../log.js';
import { SECONDARY_CAPTURE_SOP_CLASS } from '../../results/index.js';
import { instanceKey, type Spool, type SpoolTempFile } from '../../storage/index.js';

/** Identifying attributes sit near the start; this much of each dataset is kept in memory to read them. */
const HEADER_PREFIX_BYTES = 64 * 1024;
/** When the prefix was not enough (huge private groups early on), re-read up to this much from the file. */
const HEADER_REREAD_BYTES = 16 * 1024 * 1024;

export interface StoreInstanceDeps {
  spool: Pick<Spool, 'createTempFile' | 'remove'>;
  instances: Pick<InstancesStore, 'find' | 'record'>;
  log: Logger;
  onRecorded: (progress: StudyProgress) => void;
  /** Whether a SOP Instance UID of the study is a result this gateway produced (received back from the PACS). */
  isOwnResult: (sopInstanceUid: string, studyInstanceUid: string) => Promise<boolean>;
}

export class InstanceStoreHandler implements StoreHandler {
  constructor(private readonly deps: StoreInstanceDeps) {}

  begin(request: StoreRequest): StoreSink {
    let file: SpoolTempFile;
    try {
      file = this.deps.spool.createTempFile();
    } catch (err) {
      return discardingSink(failure(err));
    }
    const meta = buildFileMetaHeader({
      sopClassUid: request.sopClassUid,
      sopInstanceUid: request.sopInstanceUid,
      transferSyntaxUid: request.transferSyntaxUid,
      sourceAeTitle: request.callingAeTitle,
    });
    file.write(meta);
    const prefix: Buffer[] = [];
    let prefixBytes = 0;
    let datasetBytes = 0;
    return {
      write: (chunk) => {
        datasetBytes += chunk.length;
        if (prefixBytes < HEADER_PREFIX_BYTES) {
          prefix.push(chunk);
          prefixBytes += chunk.length;
        }
        return file.write(chunk);
      },
      waitDrain: () => file.drain(),
      finish: () => this.finish(request, file, Buffer.concat(prefix), datasetBytes, meta.length),
      abort: () => void file.discard(),
    };
  }

  private async finish(request: StoreRequest, file: SpoolTempFile, prefix: Buffer, datasetBytes: number, metaBytes: number): Promise<StoreOutcome> {
    // A new file renamed into place whose index row then failed (the disk filled between the two) is removed again:
    // the sender was refused, so no file may stay that the index does not name.
    let unindexed: string | undefined;
    try {
      // Most datasets identify themselves within the prefix: parse it while the file is fsynced.
      const early = readDatasetHeader(prefix, request.transferSyntaxUid, prefix.length >= datasetBytes);
      await file.finish();
      const header = checkHeader(request, early.kind === 'incomplete' ? await this.rereadHeader(request, file, datasetBytes, metaBytes) : early);
      const studyUid = parseUid(header.studyInstanceUid);
      const seriesUid = parseUid(header.seriesInstanceUid);
      if (studyUid === undefined || seriesUid === undefined) {
        throw new GatewayError('GW_ERR_UID_INVALID', 'Study or Series Instance UID in the dataset is not a valid UID', {
          context: { sopInstanceUid: request.sopInstanceUid },
        });
      }
      const relative = instanceKey(studyUid, request.sopInstanceUid);
      const existing = await this.deps.instances.find(request.sopInstanceUid);
      if (existing !== undefined && existing.path === relative && (await file.sameDatasetAs(existing.path))) {
        await file.discard();
        this.deps.log.debug('duplicate instance ignored', { sopInstanceUid: request.sopInstanceUid });
        return { kind: 'duplicate' };
      }
      // Our results are SRs, KOSs and Secondary Capture summaries: other image instances skip the lookup.
      const mayBeOurs = !isImageSopClass(request.sopClassUid) || request.sopClassUid === SECONDARY_CAPTURE_SOP_CLASS;
      const ownResult = mayBeOurs && (await this.deps.isOwnResult(request.sopInstanceUid, studyUid));
      const { durable } = await file.commitAs(relative);
      if (existing === undefined) unindexed = relative;
      // The directory fsync and the index commit are independent: overlap them, acknowledge after both.
      const [synced, recorded] = await Promise.allSettled([durable, this.record(request, header, studyUid, seriesUid, relative, metaBytes + datasetBytes, !ownResult)]);
      if (recorded.status === 'fulfilled') unindexed = undefined; // indexed: the file stays whatever else failed
      if (synced.status === 'rejected') throw synced.reason;
      if (recorded.status === 'rejected') throw recorded.reason;
      const progress = recorded.value;
      if (existing !== undefined) {
        // Latest wins (a re-sent or corrected instance); the old file goes only once the new row is committed.
        this.deps.log.warn('instance replaced by a new version', { callingAe: request.callingAeTitle, assoc: request.associationId });
        if (existing.path !== relative) await this.deps.spool.remove([existing.path]).catch(() => {});
      }
      if (ownResult) this.deps.log.debug('own result received back: indexed, study left as it is', { sopInstanceUid: request.sopInstanceUid });
      else this.deps.onRecorded(progress);
      return { kind: 'stored', subject: { studyInstanceUid: studyUid, accessionNumber: header.accessionNumber, patientId: header.patientId } };
    } catch (err) {
      await file.discard();
      if (unindexed !== undefined) {
        // The index row may have committed although its answer was lost (PostgreSQL gone mid-commit): a row without
        // its file would be worse than a file without its row, which the sender's resend of the refused instance
        // overwrites and indexes.
        if (commitOutcomeUnknown(err)) this.deps.log.warn('instance file kept: its index commit may have succeeded', { sopInstanceUid: request.sopInstanceUid, path: unindexed });
        else await this.deps.spool.remove([unindexed]).catch(() => {});
      }
      return failure(err);
    }
  }

  private record(request: StoreRequest, header: DatasetHeader, studyUid: string, seriesUid: string, relative: string, sizeBytes: number, reopensStudy: boolean): Promise<StudyProgress> {
    return this.deps.instances
      .record({
        sopInstanceUid: request.sopInstanceUid,
        studyInstanceUid: studyUid,
        seriesInstanceUid: seriesUid,
        sopClassUid: request.sopClassUid,
        transferSyntaxUid: request.transferSyntaxUid,
        accessionNumber: header.accessionNumber,
        modality: header.modality,
        bodyPart: header.bodyPartExamined,
        seriesNumber: header.seriesNumber,
        instanceNumber: header.instanceNumber,
        sizeBytes,
        path: relative,
        callingAe: request.callingAeTitle,
        receivedAtMs: Date.now(),
        studyDate: header.studyDate,
        studyDescription: header.studyDescription,
        expectedStudyInstances: header.numberOfStudyRelatedInstances,
        reopensStudy,
      })
      .catch((err: unknown) => {
        throw new GatewayError('GW_ERR_DATABASE_FAILED', 'cannot index the instance', { cause: err });
      });
  }

  /** The prefix ended before the identifying attributes (large private groups first): read more from the file. */
  private async rereadHeader(request: StoreRequest, file: SpoolTempFile, datasetBytes: number, metaBytes: number): Promise<HeaderResult> {
    const buf = await file.read(metaBytes, Math.min(datasetBytes, HEADER_REREAD_BYTES));
    return readDatasetHeader(buf, request.transferSyntaxUid, true);
  }
}

function checkHeader(request: StoreRequest, result: HeaderResult): DatasetHeader {
  if (result.kind !== 'ok') {
    const why = result.kind === 'unreadable' ? result.reason : 'identifying attributes not found';
    throw new GatewayError('GW_ERR_DATASET_UNREADABLE', `cannot read the dataset: ${why}`);
  }
  const h = result.header;
  if (h.sopInstanceUid !== request.sopInstanceUid || h.sopClassUid !== request.sopClassUid) {
    throw new GatewayError('GW_ERR_DATASET_MISMATCH', 'SOP Class/Instance UID in the dataset differ from the C-STORE request', {
      context: { sopInstanceUid: request.sopInstanceUid },
    });
  }
  return h;
}

/** Maps an error to the C-STORE failure status (one place: the table in errors.ts). The SCP logs it. */
function failure(err: unknown): StoreOutcome {
  if (err instanceof GatewayError) {
    return { kind: 'failed', status: ERROR_CODES[err.code].dicomStatus ?? Status.CannotUnderstand, reason: describeError(err), code: err.code };
  }
  return { kind: 'failed', status: Status.OutOfResources, reason: describeError(err), code: 'GW_ERR_INTERNAL' };
}

