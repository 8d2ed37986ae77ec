/**
 * Reads the attributes the gateway indexes from the first bytes of a dataset (dicom-parser, stopping before
 * Pixel Data). Works on a prefix: a caller that gets `incomplete` re-reads with more bytes.
 */
import { constants as zlibConstants, inflateRawSync } from 'node:zlib';
import dicomParser from 'dicom-parser';
import { buildFileMetaHeader } from './part10.js';
import { TransferSyntax } from './uids.js';

export interface DatasetHeader {
  sopClassUid: string;
  sopInstanceUid: string;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  accessionNumber: string;
  modality: string;
  bodyPartExamined: string;
  studyDate: string;
  studyDescription: string;
  seriesNumber: number | undefined;
  instanceNumber: number | undefined;
  /** (0020,1208) Number of Study Related Instances, when the sender provides it. */
  numberOfStudyRelatedInstances: number | undefined;
}

export type HeaderResult =
  | { kind: 'ok'; header: DatasetHeader }
  /** The prefix ended before the identifying attributes: read more of the dataset. */
  | { kind: 'incomplete' }
  | { kind: 'unreadable'; reason: string };

interface ParserError {
  exception?: unknown;
  dataSet?: dicomParser.DataSet;
}

/**
 * @param datasetBytes the dataset as received (after any meta header), possibly only a prefix
 * @param complete whether `datasetBytes` is the whole dataset
 */
export function readDatasetHeader(datasetBytes: Buffer, transferSyntaxUid: string, complete: boolean): HeaderResult {
  const part10 = Buffer.concat([
    buildFileMetaHeader({ sopClassUid: '1.2', sopInstanceUid: '1.2', transferSyntaxUid }),
    datasetBytes,
  ]);
  let dataSet: dicomParser.DataSet;
  let parseError: string | undefined;
  try {
    dataSet = dicomParser.parseDicom(part10, {
      untilTag: 'x7fe00010',
      // A prefix of a deflated stream: inflate what is there instead of failing on the missing end.
      inflater: (bytes: Uint8Array, position: number) => inflatePrefix(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), position),
    } as dicomParser.ParseDicomOptions);
  } catch (err) {
    const partial = (err as ParserError).dataSet;
    if (partial === undefined) return { kind: 'unreadable', reason: String((err as ParserError).exception ?? err) };
    dataSet = partial;
    parseError = String((err as ParserError).exception ?? err);
  }
  const limit = dataSet.byteArray.length;
  const str = (tag: string): string => {
    const el = dataSet.elements[tag];
    if (el === undefined || el.dataOffset + el.length > limit) return '';
    return (dataSet.string(tag) ?? '').trim();
  };
  const int = (tag: string): number | undefined => {
    const s = str(tag);
    return /^[+-]?\d+$/.test(s) ? Number(s) : undefined;
  };
  const header: DatasetHeader = {
    sopClassUid: str('x00080016'),
    sopInstanceUid: str('x00080018'),
    studyInstanceUid: str('x0020000d'),
    seriesInstanceUid: str('x0020000e'),
    accessionNumber: str('x00080050'),
    modality: str('x00080060'),
    bodyPartExamined: str('x00180015'),
    studyDate: str('x00080020'),
    studyDescription: str('x00081030'),
    seriesNumber: int('x00200011'),
    instanceNumber: int('x00200013'),
    numberOfStudyRelatedInstances: int('x00201208'),
  };
  const identified = header.sopInstanceUid !== '' && header.studyInstanceUid !== '' && header.seriesInstanceUid !== '';
  if (identified) return { kind: 'ok', header };
  if (!complete) return { kind: 'incomplete' };
  return { kind: 'unreadable', reason: parseError ?? 'dataset lacks SOP Instance, Study or Series Instance UID' };
}

function inflatePrefix(bytes: Buffer, position: number): Buffer {
  const inflated = inflateRawSync(bytes.subarray(position), { finishFlush: zlibConstants.Z_SYNC_FLUSH });
  return Buffer.concat([bytes.subarray(0, position), inflated]);
}

