/**
 * The parts of dcmjs 0.50 the gateway uses (dcmjs ships no types). Only what `src/` calls is declared; add to it
 * when a new call is needed, never `any`. Shapes follow dcmjs `src/DicomMetaDictionary.js` and `src/DicomMessage.js`.
 */
declare module 'dcmjs' {
  /** One element of a denaturalized dataset: VR and values, keyed by 8-digit upper-case hex tag. */
  export interface DicomElement {
    vr: string;
    Value?: unknown[];
    InlineBinary?: string;
  }

  /** A denaturalized ("DICOM JSON"-like) dataset: `{ '00100010': { vr: 'PN', Value: [...] } }`. */
  export type DicomDataset = Record<string, DicomElement>;

  /**
   * A naturalized dataset: attribute keywords as keys, single values unwrapped, sequences as arrays of
   * naturalized items, PN as `[{ Alphabetic }]`. dcmjs adds a `_vrMap` property when it naturalizes.
   */
  export type NaturalizedDataset = Record<string, unknown>;

  export interface ReadOptions {
    ignoreErrors?: boolean;
    /** Tag to stop at, e.g. '7FE00010' to skip Pixel Data. */
    untilTag?: string | null;
    includeUntilTagValue?: boolean;
    noCopy?: boolean;
    forceStoreRaw?: boolean;
  }

  export interface WriteOptions {
    allowInvalidVRLength?: boolean;
  }

  export class DicomDict {
    constructor(meta: DicomDataset);
    meta: DicomDataset;
    dict: DicomDataset;
    /** Part-10 bytes: preamble, "DICM", group 0002 (with its group length) and the dataset in `meta`'s syntax. */
    write(options?: WriteOptions): ArrayBuffer;
  }

  /** dcmjs's input stream; only what the charset work-around in `src/results/sr/part10-io.ts` touches. */
  export class ReadBufferStream {
    decoder: TextDecoder;
    setDecoder(decoder: TextDecoder): void;
    /** A sub-stream over the next `length` bytes (used for every sequence item). */
    more(length: number): ReadBufferStream;
  }

  export interface DicomMetaDictionaryStatic {
    naturalizeDataset(dataset: DicomDataset): NaturalizedDataset;
    denaturalizeDataset(dataset: NaturalizedDataset): DicomDataset;
  }

  export interface DicomMessageStatic {
    /** Parses Part-10 bytes (preamble and "DICM" required). Throws on malformed input. */
    readFile(buffer: ArrayBuffer, options?: ReadOptions): DicomDict;
  }

  export interface DcmjsData {
    DicomDict: typeof DicomDict;
    DicomMessage: DicomMessageStatic;
    DicomMetaDictionary: DicomMetaDictionaryStatic;
    ReadBufferStream: typeof ReadBufferStream;
  }

  /**
   * dcmjs's Cornerstone3D measurement adapter (`adapters/Cornerstone3D/MeasurementReport.js`), the code OHIF reads
   * TID 1500 measurement groups with; the tests use it to check that viewers get our regions back.
   */
  export interface Cornerstone3DMeasurementReport {
    /** Tool states by tool type (e.g. `PlanarFreehandROI`), one per recognised measurement group. */
    generateToolState(
      dataset: NaturalizedDataset,
      sopInstanceUidToImageId: Record<string, string>,
      imageToWorldCoords: (imageId: string, point: [number, number]) => number[],
      metadata: { get(type: string, imageId: string): unknown },
    ): Record<string, unknown[]>;
  }

  const dcmjs: {
    data: DcmjsData;
    adapters: { Cornerstone3D: { MeasurementReport: Cornerstone3DMeasurementReport } };
  };
  export default dcmjs;
}
