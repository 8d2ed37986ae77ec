/**
 * Part-10 bytes ↔ naturalized dcmjs datasets for the SR builder: writes Explicit VR Little Endian files with our
 * implementation identity in the meta header (PS3.10 §7.1), and reads instances without their pixel data.
 */
import dcmjs, { type ReadBufferStream, type ReadOptions, type DicomDict as DicomDictType } from 'dcmjs';
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME, TransferSyntax } from '../../dicom/index.js';
import { GatewayError } from '../../errors.js';
import { isRecord, type Naturalized } from './naturalized.js';

const { DicomDict, DicomMessage, DicomMetaDictionary } = dcmjs.data;

/**
 * dcmjs 0.50 reads each sequence item through `ReadBufferStream.more()`, which starts a fresh stream with its default
 * (windows-1252) decoder: non-ASCII text inside sequences comes back garbled even when Specific Character Set says
 * UTF-8, though items inherit the dataset's character set (PS3.5 §6.1.2.5.3). While this synchronous read runs,
 * `more()` hands the parent stream's decoder on; an item with its own (0008,0005) still sets its own. Restored after,
 * so nothing else in the process sees the change. (The bytes dcmjs writes are right: pydicom and DCMTK read them.)
 */
function readFileInheritingCharset(buffer: ArrayBuffer, options: ReadOptions): DicomDictType {
  const proto = dcmjs.data.ReadBufferStream.prototype;
  const original = proto.more;
  proto.more = function more(this: ReadBufferStream, length: number): ReadBufferStream {
    const sub = original.call(this, length);
    sub.setDecoder(this.decoder);
    return sub;
  };
  try {
    return DicomMessage.readFile(buffer, options);
  } finally {
    proto.more = original;
  }
}

/** Writes `dataset` (which must hold SOPClassUID and SOPInstanceUID) as a Part-10 file in Explicit VR Little Endian. */
export function writePart10(dataset: Naturalized): Buffer {
  const sopClassUid = dataset.SOPClassUID;
  const sopInstanceUid = dataset.SOPInstanceUID;
  if (typeof sopClassUid !== 'string' || typeof sopInstanceUid !== 'string') {
    throw new TypeError('writePart10: the dataset needs SOPClassUID and SOPInstanceUID strings');
  }
  const meta = DicomMetaDictionary.denaturalizeDataset({
    FileMetaInformationVersion: new Uint8Array([0x00, 0x01]).buffer,
    MediaStorageSOPClassUID: sopClassUid,
    MediaStorageSOPInstanceUID: sopInstanceUid,
    TransferSyntaxUID: TransferSyntax.ExplicitVRLittleEndian,
    ImplementationClassUID: IMPLEMENTATION_CLASS_UID,
    ImplementationVersionName: IMPLEMENTATION_VERSION_NAME,
  });
  const dict = new DicomDict(meta);
  dict.dict = DicomMetaDictionary.denaturalizeDataset(dataset);
  return Buffer.from(dict.write());
}

export interface Part10Contents {
  meta: Naturalized;
  dataset: Naturalized;
}

/**
 * Reads Part-10 bytes into naturalized meta and dataset. `withoutPixelData` stops before (7FE0,0010), for header
 * reads. Throws GW_ERR_DATASET_UNREADABLE when dcmjs cannot parse the bytes (no preamble, truncated, …).
 */
export function readPart10(bytes: Uint8Array, options: { withoutPixelData?: boolean; file?: string } = {}): Part10Contents {
  const copy = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  try {
    const parsed = readFileInheritingCharset(copy as ArrayBuffer, options.withoutPixelData ? { untilTag: '7FE00010' } : {});
    const meta = DicomMetaDictionary.naturalizeDataset(parsed.meta);
    const dataset = DicomMetaDictionary.naturalizeDataset(parsed.dict);
    if (!isRecord(meta) || !isRecord(dataset)) throw new Error('dcmjs returned no dataset');
    return { meta, dataset };
  } catch (err) {
    throw new GatewayError(
      'GW_ERR_DATASET_UNREADABLE',
      `cannot read DICOM Part-10 ${options.file ?? 'bytes'}: expected a 128-byte preamble, "DICM" and a meta header with a dataset dcmjs can parse`,
      { cause: err, context: { file: options.file } },
    );
  }
}
