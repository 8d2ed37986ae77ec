/**
 * PS3.16 TID 1500 Measurement Report as the IHE AI Results (AIR) profile uses it for AI findings: the template
 * layer. Builds the root CONTAINER tree from fixed-meaning items and parses it back to the same input shape.
 *
 * Tree written (row numbers are PS3.16 TID 1500 / 1501 rows):
 *   CONTAINER Imaging Measurement Report                      TID 1500 row 1, DCMR 1500
 *     HAS CONCEPT MOD  Language                               row 2 (TID 1204)
 *     HAS OBS CONTEXT  Observer Type = Device, Device UID/Name/Manufacturer/Model   row 3 (TID 1001 → 1002 → 1004)
 *     HAS CONCEPT MOD  Procedure reported                     row 4
 *     CONTAINS Image Library > Image Library Group > IMAGE …  row 5 (TID 1600 / 1601)
 *     CONTAINS Imaging Measurements                           row 6
 *       CONTAINS Measurement Group (one per finding)         row 9 (TID 1501, DCMR 1501)
 *         HAS OBS CONTEXT Tracking Identifier, Tracking UID   (TID 4108)
 *         CONTAINS Finding = <finding>
 *         HAS CONCEPT MOD Algorithm Name / Version            (TID 4019)
 *         CONTAINS NUM Certainty of Finding = p (UCUM "1")    (TID 300 measurement; AI results only)
 *         CONTAINS NUM Diameter = d (UCUM mm)                  (TID 300; a size a report states)
 *         CONTAINS CODE <finding> = Present | Absent | Undetermined (qualitative evaluation)
 *         CONTAINS IMAGE Source …                             (source images; none for report findings)
 *     CONTAINS Qualitative Evaluations > TEXT Comment         rows 12-14, only for a disclaimer
 */
import type { Uid } from '../../dicom/index.js';
import { Codes, sameConcept } from './codes.js';
import {
  encodeRootContainer,
  parseRootContainer,
  RelationshipType,
  type CodedConcept,
  type ContainerItem,
  type ContentItem,
  type RootContainer,
} from './content-items.js';
import {
  algorithmIdentificationItems,
  commentItem,
  deviceObserverItems,
  diameterItem,
  findingItem,
  imageLibraryEntryItem,
  itemsNamed,
  languageItem,
  oneItemNamed,
  parseAlgorithmIdentification,
  parseComments,
  parseDeviceObserver,
  parseImageReferences,
  parseLanguage,
  parsePresence,
  parseProbability,
  parseProcedureReported,
  parseTrackingIdentifier,
  presenceItem,
  probabilityItem,
  procedureReportedItem,
  sourceImageItem,
  trackingIdentifierItems,
  type AlgorithmIdentification,
  type DeviceObserver,
  type ImageReference,
  type Presence,
} from './fixed-meaning-items.js';
import { malformed, type Naturalized } from './naturalized.js';

/** One AI finding as a TID 1501 Measurement and Qualitative Evaluation Group. */
export interface Tid1501Finding {
  readonly trackingIdentifier: string;
  readonly trackingUid: Uid;
  readonly finding: CodedConcept;
  readonly algorithm: AlgorithmIdentification;
  readonly presence: Presence;
  /** The model's probability that the finding is present, in [0, 1]; absent for findings read from a report. */
  readonly probability?: number;
  /** Largest dimension stated for the finding, in mm. */
  readonly sizeMm?: number;
  /** The instances the finding was computed on; empty for a report's findings, which are about the whole study. */
  readonly sourceImages: readonly ImageReference[];
}

/** Input of `buildTid1500Report`, and what `parseTid1500Report` returns. */
export interface Tid1500Report {
  readonly language: CodedConcept;
  readonly observer: DeviceObserver;
  readonly procedureReported: CodedConcept;
  /** Every instance the report is about (TID 1600 Image Library entries). */
  readonly imageLibrary: readonly ImageReference[];
  readonly findings: readonly Tid1501Finding[];
  /** Free text written under Qualitative Evaluations, e.g. the demo-model disclaimer. */
  readonly comments: readonly string[];
}

const TID_1500 = '1500';
const TID_1501 = '1501';

function measurementGroup(f: Tid1501Finding): ContainerItem {
  return {
    relationship: RelationshipType.Contains,
    valueType: 'CONTAINER',
    name: Codes.MeasurementGroup,
    continuity: 'SEPARATE',
    templateId: TID_1501,
    children: [
      ...trackingIdentifierItems(f.trackingIdentifier, f.trackingUid),
      findingItem(f.finding),
      ...algorithmIdentificationItems(f.algorithm),
      ...(f.probability === undefined ? [] : [probabilityItem(f.probability)]),
      ...(f.sizeMm === undefined ? [] : [diameterItem(f.sizeMm)]),
      presenceItem(f.finding, f.presence),
      ...f.sourceImages.map(sourceImageItem),
    ],
  };
}

function container(name: CodedConcept, children: readonly ContentItem[]): ContainerItem {
  return { relationship: RelationshipType.Contains, valueType: 'CONTAINER', name, continuity: 'SEPARATE', children };
}

/** Builds the TID 1500 content tree (the root CONTAINER with its descendants). */
export function buildTid1500ContentTree(report: Tid1500Report): RootContainer {
  const children: ContentItem[] = [
    languageItem(report.language),
    ...deviceObserverItems(report.observer),
    procedureReportedItem(report.procedureReported),
    container(Codes.ImageLibrary, report.imageLibrary.length === 0 ? [] : [container(Codes.ImageLibraryGroup, report.imageLibrary.map(imageLibraryEntryItem))]),
    container(Codes.ImagingMeasurements, report.findings.map(measurementGroup)),
  ];
  if (report.comments.length > 0) children.push(container(Codes.QualitativeEvaluations, report.comments.map(commentItem)));
  return { valueType: 'CONTAINER', name: Codes.ImagingMeasurementReport, continuity: 'SEPARATE', templateId: TID_1500, children };
}

/**
 * Builds the SR Document Content Module of a TID 1500 report: the naturalized attributes of the root content item
 * (Value Type, Concept Name, Continuity, Content Template Sequence, Content Sequence) to merge into the document.
 */
export function buildTid1500Report(report: Tid1500Report): Naturalized {
  return encodeRootContainer(buildTid1500ContentTree(report));
}

function parseFinding(group: ContentItem, path: string): Tid1501Finding {
  if (group.valueType !== 'CONTAINER') throw malformed(path, 'a Measurement Group must be a CONTAINER');
  const items = group.children;
  const tracking = parseTrackingIdentifier(items, path);
  const finding = oneItemNamed(items, 'CODE', Codes.Finding, path).value;
  const probability = parseProbability(items, path);
  const sizes = itemsNamed(items, 'NUM', Codes.Diameter);
  const size = sizes[0];
  if (sizes.length > 1) throw malformed(path, 'the Measurement Group has more than one Diameter');
  if (size !== undefined && !sameConcept(size.unit, Codes.Millimeter)) throw malformed(path, `diameter unit is "${size.unit.value}", expected UCUM "mm"`);
  return {
    trackingIdentifier: tracking.identifier,
    trackingUid: tracking.uid,
    finding,
    algorithm: parseAlgorithmIdentification(items, path),
    presence: parsePresence(items, finding, path),
    ...(probability === undefined ? {} : { probability }),
    ...(size === undefined ? {} : { sizeMm: size.value }),
    sourceImages: parseImageReferences(items, Codes.Source),
  };
}

/** Parses the TID 1500 tree of an SR document's naturalized dataset back into the input of `buildTid1500Report`. */
export function parseTid1500Report(dataset: unknown): Tid1500Report {
  const root = parseRootContainer(dataset);
  if (!sameConcept(root.name, Codes.ImagingMeasurementReport)) {
    throw malformed('dataset.ConceptNameCodeSequence', `document title is "${root.name.meaning}", expected Imaging Measurement Report (TID 1500)`);
  }
  const items = root.children;
  const path = 'TID 1500';
  const library = itemsNamed(items, 'CONTAINER', Codes.ImageLibrary);
  const imageLibrary = library.flatMap((lib) =>
    itemsNamed(lib.children, 'CONTAINER', Codes.ImageLibraryGroup).flatMap((g) => parseImageReferences(g.children, undefined)),
  );
  const measurements = oneItemNamed(items, 'CONTAINER', Codes.ImagingMeasurements, path);
  const groups = itemsNamed(measurements.children, 'CONTAINER', Codes.MeasurementGroup);
  const qualitative = itemsNamed(items, 'CONTAINER', Codes.QualitativeEvaluations);
  return {
    language: parseLanguage(items, path),
    observer: parseDeviceObserver(items, `${path} observer context`),
    procedureReported: parseProcedureReported(items, path),
    imageLibrary,
    findings: groups.map((g, i) => parseFinding(g, `${path} Measurement Group ${i + 1}`)),
    comments: qualitative.flatMap((q) => parseComments(q.children)),
  };
}
