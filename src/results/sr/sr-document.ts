/**
 * The document layer: an AI result as a Comprehensive 3D SR instance (PS3.3 A.35.13) in the source study, with the
 * TID 1500 / IHE AIR content of `tid1500.ts`, written with plain dcmjs, and its parser.
 *
 * Modules written: Patient and General/Patient Study (copied, `source-context.ts`), SR Document Series (new series),
 * General Equipment (the gateway), SR Document General (flags, evidence), SR Document Content (TID 1500), SOP Common
 * (with Contributing Equipment naming the algorithm). Same input → same bytes: every UID is derived (`deriveUid`)
 * and the only date/time is the caller's `contentDateTime`.
 *
 * Specific Character Set is ISO_IR 192 (UTF-8): dcmjs encodes every text value as UTF-8, and the patient name it
 * decoded from the source may hold any character; declaring ISO_IR 100 would mislabel those bytes. The disclaimer's
 * em dash needs it too.
 */
import { IMPLEMENTATION_VERSION_NAME, isImageSopClass, parseUid, type Uid } from '../../dicom/index.js';
import { GatewayError } from '../../errors.js';
import { deriveUid } from '../derive-uid.js';
import { contentDigest, resultRevisionUid } from '../result-revision.js';
import { Codes, sameConcept } from './codes.js';
import { encodeCode, type CodedConcept } from './content-items.js';
import type { ImageReference, Presence } from './fixed-meaning-items.js';
import { optionalString, requiredString, sequence, type Naturalized } from './naturalized.js';
import { readPart10, writePart10 } from './part10-io.js';
import type { SourceContext } from './source-context.js';
import type { FindingRegion } from '../finding-region.js';
import { buildTid1500Report, parseTid1500Report, type Tid1410Region, type Tid1500Report, type Tid1501Finding } from './tid1500.js';

/** Comprehensive 3D SR Storage (PS3.4 B.5), the SOP class IHE AIR uses for AI results. */
export const COMPREHENSIVE_3D_SR_SOP_CLASS = '1.2.840.10008.5.1.4.1.1.88.34';

/** The text every SR from a demo model carries (TID 1500 Qualitative Evaluations > Comment). */
export const DEMO_DISCLAIMER = 'Demo model trained on synthetic data — not for clinical use';

/** An instance of the source study that the result was computed on. */
export interface ReferencedInstance {
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  readonly seriesInstanceUid: string;
}

/** The model as device observer and contributing equipment. */
export interface ModelIdentity {
  readonly id: string;
  readonly version: string;
  readonly manufacturer: string;
  /** Device Observer UID; derived from id and version when absent. */
  readonly deviceUid?: string;
  /** A demo model: the SR says it is not for clinical use. */
  readonly demo: boolean;
}

export interface AiFinding {
  readonly finding: CodedConcept;
  readonly presence: Presence;
  /** The model's probability that the finding is present, in [0, 1]; none for findings read from a report. */
  readonly probability?: number;
  /** Largest dimension stated for the finding, in mm. */
  readonly sizeMm?: number;
  /**
   * SOP Instance UIDs (from `referencedInstances`) the finding was computed on; all of them when absent; none when
   * empty (a report's finding is about the study, not an image).
   */
  readonly sourceInstanceUids?: readonly string[];
  /** Frame number (1-based) of a multi-frame source image, by SOP Instance UID: its Source IMAGE item cites it. */
  readonly sourceFrameNumbers?: Readonly<Record<string, number>>;
  /** Where on the images the model saw the finding (a present finding only): one TID 1410 group each. */
  readonly regions?: readonly FindingRegion[];
}

/** A coding scheme outside PS3.16's list (a "99…" local designator), declared in the SR (PS3.3 C.12.1.1.4). */
export interface LocalCodingScheme {
  readonly designator: string;
  readonly name: string;
  readonly uid: string;
}

/** The equipment that writes the SR (General Equipment module): the gateway itself unless overridden. */
export interface WriterEquipment {
  readonly manufacturer: string;
  readonly modelName: string;
  readonly softwareVersion: string;
}

export interface FindingsSrInput {
  readonly source: SourceContext;
  readonly referencedInstances: readonly ReferencedInstance[];
  readonly model: ModelIdentity;
  readonly findings: readonly AiFinding[];
  /** What kind of result this is (e.g. 'image-ai'); part of the SOP Instance UID. */
  readonly kind: string;
  /**
   * Content Date/Time as DICOM DT without offset: YYYYMMDDHHMMSS[.FFFFFF], in the zone of `timezoneOffsetFromUtc`
   * (`resultDateTime` in dicom-datetime.ts gives both). Never read from the clock here.
   */
  readonly contentDateTime: string;
  /**
   * Timezone Offset From UTC (0008,0201), "+HHMM"/"-HHMM": the zone of every DA, TM and offset-less DT in the SR
   * (PS3.3 C.12.1.1.8), the copied Study Date/Time included. Absent: the attribute is not written.
   */
  readonly timezoneOffsetFromUtc?: string;
  readonly seriesNumber?: number;
  /** Which revision of the result this SR is; the first when absent. */
  readonly revision?: SrRevision;
  /** The order this SR answers (Referenced Request Sequence) and, for report findings, the report it codes. */
  readonly request?: SrRequest;
  /** A person observer (DICOM PN) before the device: for report findings, the radiologist the report names. */
  readonly personObserver?: string;
  readonly equipment?: WriterEquipment;
  /** Local coding schemes the findings use (Coding Scheme Identification Sequence). */
  readonly codingSchemes?: readonly LocalCodingScheme[];
}

/** An SR this one replaces (Predecessor Documents Sequence, PS3.3 C.17.2.3). */
export interface PredecessorDocument {
  readonly studyInstanceUid: string;
  readonly seriesInstanceUid: string;
  readonly sopInstanceUid: string;
  /** Comprehensive 3D SR when absent (every SR this gateway writes). */
  readonly sopClassUid?: string;
}

export interface SrRevision {
  /** 1 for the first SR of a result, one more per changed result; written as Instance Number. */
  readonly number: number;
  /** The current SR of the result before this one; none for the first. */
  readonly predecessor?: PredecessorDocument;
  /** Replaces the content-derived SOP Instance UID (only when the content returned to an earlier revision's). */
  readonly sopInstanceUid?: string;
}

/** The requested procedure (accession) an SR answers; `report` when its findings come from an HL7 report. */
export interface SrRequest {
  readonly accessionNumber: string;
  /** The report the findings were coded from: MSH-10 and when it was received (ISO-8601). */
  readonly report?: { readonly controlId: string };
}

export interface FindingsSr {
  readonly part10: Buffer;
  /** What defines the content (`contentDigest`): equal for an unchanged result, whatever its times. */
  readonly contentDigest: string;
  readonly instanceNumber: number;
  readonly sopClassUid: typeof COMPREHENSIVE_3D_SR_SOP_CLASS;
  readonly sopInstanceUid: Uid;
  readonly seriesInstanceUid: Uid;
  readonly studyInstanceUid: Uid;
}

const DEFAULT_EQUIPMENT: WriterEquipment = { manufacturer: 'pacs-ai-gateway', modelName: 'pacs-ai-gateway', softwareVersion: IMPLEMENTATION_VERSION_NAME };
const DEFAULT_SERIES_NUMBER = 9000;
const DT_PATTERN = /^(\d{8})(\d{6}(?:\.\d{1,6})?)$/;
const OFFSET_PATTERN = /^[+-](?:0\d|1[0-4])[0-5]\d$/;

function uidOf(value: string, field: string): Uid {
  const uid = parseUid(value);
  if (uid === undefined) throw new GatewayError('GW_ERR_UID_INVALID', `${field} "${value}" is not a valid UID (digits and dots, ≤ 64 characters)`, { context: { field } });
  return uid;
}

/** A Long String (LO) value: ≤ 64 characters, no backslash or control characters (PS3.5 6.2). */
function lo(value: string, field: string): string {
  if (value.length === 0 || value.length > 64 || /[\\\x00-\x1f]/.test(value)) throw new RangeError(`${field} "${value}" must be 1-64 characters without backslash (LO)`);
  return value;
}

interface Evidence {
  refs: ReferencedInstance[];
  byInstance: Map<string, ReferencedInstance>;
}

function collectEvidence(instances: readonly ReferencedInstance[]): Evidence {
  if (instances.length === 0) throw new RangeError('an AI result SR needs at least one referenced instance');
  const byInstance = new Map<string, ReferencedInstance>();
  const refs: ReferencedInstance[] = [];
  for (const ref of instances) {
    const checked = {
      sopClassUid: uidOf(ref.sopClassUid, 'referenced SOP Class UID'),
      sopInstanceUid: uidOf(ref.sopInstanceUid, 'referenced SOP Instance UID'),
      seriesInstanceUid: uidOf(ref.seriesInstanceUid, 'referenced Series Instance UID'),
    };
    if (!isImageSopClass(checked.sopClassUid)) {
      throw new RangeError(`referenced instance ${checked.sopInstanceUid} has SOP class ${checked.sopClassUid}, not an image: an AI result references images`);
    }
    const seen = byInstance.get(checked.sopInstanceUid);
    if (seen === undefined) {
      byInstance.set(checked.sopInstanceUid, checked);
      refs.push(checked);
    } else if (seen.sopClassUid !== checked.sopClassUid || seen.seriesInstanceUid !== checked.seriesInstanceUid) {
      throw new RangeError(`referenced instance ${checked.sopInstanceUid} is listed twice with different series or SOP class`);
    }
  }
  return { refs, byInstance };
}

/** Current Requested Procedure Evidence Sequence (PS3.3 C.17.2.3, Hierarchical SOP Instance Reference Macro). */
export function evidenceSequence(studyInstanceUid: Uid, refs: readonly ReferencedInstance[]): Naturalized[] {
  const series = new Map<string, ReferencedInstance[]>();
  for (const ref of refs) series.set(ref.seriesInstanceUid, [...(series.get(ref.seriesInstanceUid) ?? []), ref]);
  return [
    {
      StudyInstanceUID: studyInstanceUid,
      ReferencedSeriesSequence: [...series].map(([seriesUid, list]) => ({
        SeriesInstanceUID: seriesUid,
        ReferencedSOPSequence: list.map((r) => ({ ReferencedSOPClassUID: r.sopClassUid, ReferencedSOPInstanceUID: r.sopInstanceUid })),
      })),
    },
  ];
}

function reportOf(input: FindingsSrInput, evidence: Evidence, studyUid: Uid): Tid1500Report {
  const { model } = input;
  const toImage = (r: ReferencedInstance): ImageReference => ({ sopClassUid: r.sopClassUid as Uid, sopInstanceUid: r.sopInstanceUid as Uid });
  const findings: Tid1501Finding[] = input.findings.map((f) => {
    if (input.findings.filter((g) => sameConcept(g.finding, f.finding)).length > 1) {
      throw new RangeError(`finding (${f.finding.value}, ${f.finding.scheme}) is listed twice: one measurement group per finding`);
    }
    const sources = (f.sourceInstanceUids ?? evidence.refs.map((r) => r.sopInstanceUid)).map((uid) => {
      const ref = evidence.byInstance.get(uid);
      if (ref === undefined) throw new RangeError(`finding "${f.finding.meaning}" cites instance ${uid}, which is not in referencedInstances`);
      const frame = f.sourceFrameNumbers?.[uid];
      return { ...toImage(ref), ...(frame === undefined ? {} : { frameNumber: frame }) };
    });
    return {
      trackingIdentifier: `${model.id}: ${f.finding.meaning}`,
      // Tracking UID from (study, model id, version, finding code): stable across re-runs.
      trackingUid: deriveUid(studyUid, model.id, model.version, 'finding', f.finding.scheme, f.finding.value),
      finding: f.finding,
      algorithm: { name: model.id, version: model.version },
      presence: f.presence,
      ...(f.probability === undefined ? {} : { probability: f.probability }),
      ...(f.sizeMm === undefined ? {} : { sizeMm: f.sizeMm }),
      sourceImages: sources,
    };
  });
  const regions: Tid1410Region[] = input.findings.flatMap((f) =>
    (f.regions ?? []).map((r, n) => {
      const ref = evidence.byInstance.get(r.sopInstanceUid);
      if (ref === undefined || ref.sopClassUid !== r.sopClassUid) throw new RangeError(`a region of "${f.finding.meaning}" is on instance ${r.sopInstanceUid}, which is not in referencedInstances`);
      const frame = r.frameNumber === undefined ? [] : [String(r.frameNumber)];
      return {
        trackingIdentifier: `${model.id}: ${f.finding.meaning}, region ${n + 1}`,
        // From what the region is of (study, model, finding) and on (instance, frame): stable across re-runs.
        trackingUid: deriveUid(studyUid, model.id, model.version, 'region', f.finding.scheme, f.finding.value, r.sopInstanceUid, ...frame),
        finding: f.finding,
        algorithm: { name: model.id, version: model.version },
        image: { ...toImage(ref), ...(r.frameNumber === undefined ? {} : { frameNumber: r.frameNumber }) },
        points: r.points,
        probability: r.probability,
      };
    }),
  );
  return {
    language: Codes.EnglishUnitedStates,
    ...(input.personObserver === undefined || input.personObserver === '' ? {} : { personObserver: input.personObserver }),
    observer: {
      uid: model.deviceUid === undefined ? deriveUid(model.id, model.version, 'device-observer') : uidOf(model.deviceUid, 'model device UID'),
      name: model.id,
      manufacturer: model.manufacturer,
      modelName: model.id,
    },
    procedureReported: input.source.procedureCode ?? Codes.ImagingProcedure,
    imageLibrary: evidence.refs.map(toImage),
    findings,
    regions,
    comments: [
      ...(model.demo ? [DEMO_DISCLAIMER] : []),
      // TID 1500 has no row for a source report; the comment names it for a reader (the attributes name the order).
      ...(input.request?.report === undefined ? [] : [`Findings coded from the HL7 report with message control id ${input.request.report.controlId}`]),
    ],
  };
}

/** The content-derived identity of an SR: what `buildFindingsSr` will use unless a revision overrides the UID. */
export interface FindingsSrIdentity {
  readonly contentDigest: string;
  readonly sopInstanceUid: Uid;
  readonly seriesInstanceUid: Uid;
}

/**
 * The digest and UIDs of an SR with this content, without building it: the result writers compare them with the
 * current revision first, and write nothing when they are equal.
 */
export function findingsSrIdentity(input: Pick<FindingsSrInput, 'source' | 'referencedInstances' | 'model' | 'findings' | 'kind'>): FindingsSrIdentity {
  const studyUid = input.source.studyInstanceUid;
  const referencedInstanceUids = input.referencedInstances.map((r) => r.sopInstanceUid);
  const digest = contentDigest({
    // "All referenced instances" spelled out, so that an absent list and the full list are the same content.
    findings: input.findings.map((f) => ({ ...f, sourceInstanceUids: f.sourceInstanceUids ?? referencedInstanceUids })),
    referencedInstanceUids,
    demo: input.model.demo,
  });
  return {
    contentDigest: digest,
    sopInstanceUid: resultRevisionUid(studyUid, input.model, input.kind, digest),
    seriesInstanceUid: deriveUid(studyUid, input.model.id, input.model.version, 'series'),
  };
}

/** Predecessor Documents Sequence (PS3.3 C.17.2.3): the Hierarchical SOP Instance Reference Macro of the replaced SR. */
function predecessorSequence(p: PredecessorDocument): Naturalized[] {
  return [
    {
      StudyInstanceUID: uidOf(p.studyInstanceUid, 'predecessor Study Instance UID'),
      ReferencedSeriesSequence: [
        {
          SeriesInstanceUID: uidOf(p.seriesInstanceUid, 'predecessor Series Instance UID'),
          ReferencedSOPSequence: [
            { ReferencedSOPClassUID: uidOf(p.sopClassUid ?? COMPREHENSIVE_3D_SR_SOP_CLASS, 'predecessor SOP Class UID'), ReferencedSOPInstanceUID: uidOf(p.sopInstanceUid, 'predecessor SOP Instance UID') },
          ],
        },
      ],
    },
  ];
}

/**
 * Referenced Request Sequence (PS3.3 C.17.2, Table C.17-2): the requested procedure the SR answers, named by its
 * accession number in the study. Placer/filler order numbers, procedure ID and description are Type 2 and unknown
 * to the gateway: present and empty.
 */
function requestSequence(studyUid: Uid, request: SrRequest, source: SourceContext): Naturalized[] {
  const issuer = source.attributes.IssuerOfAccessionNumberSequence;
  return [
    {
      StudyInstanceUID: studyUid,
      ReferencedStudySequence: [],
      AccessionNumber: request.accessionNumber,
      ...(issuer === undefined ? {} : { IssuerOfAccessionNumberSequence: issuer }),
      PlacerOrderNumberImagingServiceRequest: '',
      FillerOrderNumberImagingServiceRequest: '',
      RequestedProcedureID: '',
      RequestedProcedureDescription: '',
      RequestedProcedureCodeSequence: [],
    },
  ];
}

/** Builds the Comprehensive 3D SR of coded findings (an image model's result, or a report's findings) on one study. Same input → byte-identical output. */
export function buildFindingsSr(input: FindingsSrInput): FindingsSr {
  const { source, model } = input;
  const dt = DT_PATTERN.exec(input.contentDateTime);
  if (dt === null) throw new RangeError(`contentDateTime "${input.contentDateTime}" is not DICOM DT YYYYMMDDHHMMSS[.FFFFFF]`);
  const [, date = '', time = ''] = dt;
  if (input.kind === '' || input.kind === 'series') throw new RangeError(`kind "${input.kind}" is empty or reserved`);
  if (model.id === '' || model.version === '') throw new RangeError('model id and version must not be empty');
  const studyUid = source.studyInstanceUid;
  const evidence = collectEvidence(input.referencedInstances);
  const offset = input.timezoneOffsetFromUtc;
  if (offset !== undefined && !OFFSET_PATTERN.exec(offset)) throw new RangeError(`timezoneOffsetFromUtc "${offset}" is not +HHMM or -HHMM`);
  const revision = input.revision ?? { number: 1 };
  if (!Number.isInteger(revision.number) || revision.number < 1) throw new RangeError(`revision ${revision.number} is not a positive integer`);
  // PS3.5 B.2 UUID-derived UIDs named by the content (result-revision.ts): a re-run or retry of an unchanged
  // result re-creates the same instance; a changed result is a new instance that names the one it replaces.
  const identity = findingsSrIdentity(input);
  const sopInstanceUid = revision.sopInstanceUid === undefined ? identity.sopInstanceUid : uidOf(revision.sopInstanceUid, 'revision SOP Instance UID');
  const { seriesInstanceUid } = identity;
  if (revision.predecessor?.sopInstanceUid === sopInstanceUid) throw new RangeError(`SR ${sopInstanceUid} cannot be its own predecessor`);
  const equipment = input.equipment ?? DEFAULT_EQUIPMENT;
  const dataset: Naturalized = {
    ...source.attributes,
    // SOP Common (C.12.1)
    SpecificCharacterSet: 'ISO_IR 192',
    SOPClassUID: COMPREHENSIVE_3D_SR_SOP_CLASS,
    SOPInstanceUID: sopInstanceUid,
    InstanceCreationDate: date,
    InstanceCreationTime: time,
    // C.12.1.1.8: the zone of every DA/TM here, the copied Study Date/Time included (see docs/sr.md, "Times").
    ...(offset === undefined ? {} : { TimezoneOffsetFromUTC: offset }),
    ...(input.codingSchemes === undefined || input.codingSchemes.length === 0
      ? {}
      : {
          CodingSchemeIdentificationSequence: input.codingSchemes.map((c) => ({
            CodingSchemeDesignator: c.designator,
            CodingSchemeUID: uidOf(c.uid, `coding scheme ${c.designator} UID`),
            CodingSchemeName: c.name,
          })),
        }),
    ContributingEquipmentSequence: [
      {
        PurposeOfReferenceCodeSequence: [encodeCode(Codes.ProcessingEquipment)], // CID 7005
        Manufacturer: lo(model.manufacturer, 'model manufacturer'),
        ManufacturerModelName: lo(model.id, 'model id'),
        SoftwareVersions: lo(model.version, 'model version'),
        ContributionDateTime: input.contentDateTime,
        ContributionDescription: lo(`AI ${input.kind} result${model.demo ? ' (demo model, synthetic data)' : ''}`, 'contribution description'),
      },
    ],
    // SR Document Series (C.17.1): a new series in the source study
    Modality: 'SR',
    SeriesInstanceUID: seriesInstanceUid,
    SeriesNumber: input.seriesNumber ?? DEFAULT_SERIES_NUMBER,
    SeriesDescription: lo(`AI ${model.id} ${model.version}`.slice(0, 64), 'series description'),
    SeriesDate: date,
    SeriesTime: time,
    ReferencedPerformedProcedureStepSequence: [], // Type 2, in both C.17.1 and C.17.2
    // General Equipment (C.7.5.1): who wrote the SR
    Manufacturer: lo(equipment.manufacturer, 'equipment manufacturer'),
    ManufacturerModelName: lo(equipment.modelName, 'equipment model name'),
    SoftwareVersions: lo(equipment.softwareVersion, 'equipment software version'),
    // SR Document General (C.17.2)
    InstanceNumber: revision.number, // the revision: a viewer sorting the series by number shows the newest last
    CompletionFlag: 'COMPLETE',
    VerificationFlag: 'UNVERIFIED', // nobody has signed an AI result
    PreliminaryFlag: 'FINAL', // the model will not amend it; VerificationFlag carries "not reviewed"
    ContentDate: date,
    ContentTime: time,
    // C.17.2.3: a changed result replaces the SR before it; the old SR stays in the PACS (docs/sr.md, "Revisions").
    ...(revision.predecessor === undefined ? {} : { PredecessorDocumentsSequence: predecessorSequence(revision.predecessor) }),
    ...(input.request === undefined ? {} : { ReferencedRequestSequence: requestSequence(studyUid, input.request, source) }),
    PerformedProcedureCodeSequence: [], // Type 2
    CurrentRequestedProcedureEvidenceSequence: evidenceSequence(studyUid, evidence.refs),
    // SR Document Content (C.17.3): TID 1500
    ...buildTid1500Report(reportOf(input, evidence, studyUid)),
  };
  return {
    part10: writePart10(dataset),
    contentDigest: identity.contentDigest,
    instanceNumber: revision.number,
    sopClassUid: COMPREHENSIVE_3D_SR_SOP_CLASS,
    sopInstanceUid,
    seriesInstanceUid,
    studyInstanceUid: studyUid,
  };
}

/** What `parseFindingsSr` reads back from an SR written by `buildFindingsSr`. */
export interface ParsedFindingsSr {
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  readonly seriesInstanceUid: string;
  readonly studyInstanceUid: string;
  readonly contentDateTime: string;
  /** Current Requested Procedure Evidence Sequence, flattened. */
  readonly evidence: readonly ReferencedInstance[];
  /** Predecessor Documents Sequence, flattened: the SRs this one replaces (none for a first revision). */
  readonly predecessors: readonly ReferencedInstance[];
  readonly instanceNumber: number | undefined;
  readonly timezoneOffsetFromUtc: string | undefined;
  readonly report: Tid1500Report;
}

/** A Hierarchical SOP Instance Reference Macro sequence (PS3.3 Table C.17-3), flattened to its instances. */
function flattenHierarchical(dataset: Naturalized, key: string, at: string): ReferencedInstance[] {
  return sequence(dataset, key, at).flatMap((study, i) =>
    sequence(study, 'ReferencedSeriesSequence', `${at}.${key}[${i}]`).flatMap((series, j) => {
      const path = `${at}.${key}[${i}].ReferencedSeriesSequence[${j}]`;
      const seriesInstanceUid = requiredString(series, 'SeriesInstanceUID', path);
      return sequence(series, 'ReferencedSOPSequence', path).map((sop, k) => ({
        sopClassUid: requiredString(sop, 'ReferencedSOPClassUID', `${path}.ReferencedSOPSequence[${k}]`),
        sopInstanceUid: requiredString(sop, 'ReferencedSOPInstanceUID', `${path}.ReferencedSOPSequence[${k}]`),
        seriesInstanceUid,
      }));
    }),
  );
}

/** Parses an AI result SR (Part-10 bytes); throws GW_ERR_DATASET_UNREADABLE on anything it cannot read. */
export function parseFindingsSr(bytes: Uint8Array): ParsedFindingsSr {
  const { dataset } = readPart10(bytes);
  const at = 'dataset';
  const evidence = flattenHierarchical(dataset, 'CurrentRequestedProcedureEvidenceSequence', at);
  const predecessors = flattenHierarchical(dataset, 'PredecessorDocumentsSequence', at);
  const instanceNumber = dataset.InstanceNumber;
  return {
    sopClassUid: requiredString(dataset, 'SOPClassUID', at),
    sopInstanceUid: requiredString(dataset, 'SOPInstanceUID', at),
    seriesInstanceUid: requiredString(dataset, 'SeriesInstanceUID', at),
    studyInstanceUid: requiredString(dataset, 'StudyInstanceUID', at),
    contentDateTime: `${requiredString(dataset, 'ContentDate', at)}${optionalString(dataset, 'ContentTime', at) ?? ''}`,
    evidence,
    predecessors,
    instanceNumber: typeof instanceNumber === 'number' ? instanceNumber : typeof instanceNumber === 'string' && instanceNumber !== '' ? Number(instanceNumber) : undefined,
    timezoneOffsetFromUtc: optionalString(dataset, 'TimezoneOffsetFromUTC', at),
    report: parseTid1500Report(dataset),
  };
}
