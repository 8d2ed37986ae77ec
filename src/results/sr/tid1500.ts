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
 *         CONTAINS Finding = <finding>                        only when Present (see below)
 *         HAS CONCEPT MOD Algorithm Name / Version            (TID 4019)
 *         CONTAINS NUM Certainty of Finding = 100·p (UCUM %)  (TID 300 measurement; AI results only)
 *         CONTAINS NUM Diameter = d (UCUM mm)                  (TID 300; a size a report states)
 *         CONTAINS CODE <finding> = Present | Absent | Undetermined (qualitative evaluation)
 *         CONTAINS IMAGE Source … [frame]                     (source images; none for report findings)
 *       CONTAINS Measurement Group (one per region)          TID 1410, DCMR 1410 (the row after 1501)
 *         HAS OBS CONTEXT Tracking Identifier, Tracking UID   (TID 4108; identifier prefixed for viewers, below)
 *         CONTAINS Finding = <finding>
 *         HAS CONCEPT MOD Algorithm Name / Version            (TID 4019)
 *         CONTAINS SCOORD Image Region POLYLINE (closed)      TID 1410 "Image Region"
 *           SELECTED FROM IMAGE [frame]
 *         CONTAINS NUM Certainty of Finding = 100·p_image (%) (TID 1419 → TID 300 measurement)
 *           INFERRED FROM SCOORD POLYLINE (same polygon)      TID 300 "INFERRED FROM" TID 320 coordinates
 *             SELECTED FROM IMAGE [frame]
 *     CONTAINS Qualitative Evaluations > TEXT Comment         rows 12-14, only for a disclaimer
 *
 * A negative result names its finding only in the qualitative evaluation ("Pulmonary nodule = Absent"): the
 * "Finding" row (TID 1501, optional) is written only for a present finding, so a consumer that lists each group's
 * first coded row or its "Finding" (dcmjs, OHIF) never lists an absent nodule.
 *
 * The region's polygon is written twice on purpose: once as TID 1410's Image Region row, and once under the
 * measurement as TID 300 INFERRED FROM coordinates, the form the dcmjs / OHIF measurement adapters read (they take
 * the group's first NUM and its SCOORD child), with the Tracking Identifier prefix their PlanarFreehandROI tool
 * recognises (`VIEWER_TOOL_PREFIX`).
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
  personObserverItems,
  parsePersonObserver,
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
  parseProbability,
  parseProcedureReported,
  parseQualitativeFinding,
  parseRegionScoord,
  parseTrackingIdentifier,
  presenceItem,
  probabilityItem,
  procedureReportedItem,
  regionScoordItem,
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

/** A region an image model reacted to, as a TID 1410 Planar ROI Measurements and Qualitative Evaluations group. */
export interface Tid1410Region {
  /** Free text naming the region; written after `VIEWER_TOOL_PREFIX`, read back without it. */
  readonly trackingIdentifier: string;
  readonly trackingUid: Uid;
  readonly finding: CodedConcept;
  readonly algorithm: AlgorithmIdentification;
  /** The image (and frame) the polygon is on. */
  readonly image: ImageReference;
  /** Closed polygon, [column, row] in image pixel-edge coordinates (PS3.3 C.18.6.1.2), first point repeated last. */
  readonly points: ReadonlyArray<readonly [number, number]>;
  /** The model's probability for this image, in [0, 1]. */
  readonly probability: number;
}

/** Input of `buildTid1500Report`, and what `parseTid1500Report` returns. */
export interface Tid1500Report {
  readonly language: CodedConcept;
  readonly observer: DeviceObserver;
  /** A person observer (DICOM PN) before the device: for a report SR, the radiologist who read the study. */
  readonly personObserver?: string;
  readonly procedureReported: CodedConcept;
  /** Every instance the report is about (TID 1600 Image Library entries). */
  readonly imageLibrary: readonly ImageReference[];
  readonly findings: readonly Tid1501Finding[];
  /** Where on the images the findings are (after the findings in Imaging Measurements); may be empty. */
  readonly regions: readonly Tid1410Region[];
  /** Free text written under Qualitative Evaluations, e.g. the demo-model disclaimer. */
  readonly comments: readonly string[];
}

const TID_1500 = '1500';
const TID_1501 = '1501';
const TID_1410 = '1410';

/**
 * Tracking Identifier prefix of a region group: the dcmjs Cornerstone3D MeasurementReport adapter (the code OHIF
 * reads TID 1500 with) maps a group to its PlanarFreehandROI tool only when the identifier's first two
 * ":"-separated parts are this tag and tool name; the rest of the text is ours.
 */
export const VIEWER_TOOL_PREFIX = 'Cornerstone3DTools@^0.1.0:PlanarFreehandROI:';

/** A Measurement Group CONTAINER of the given template (TID 1501 per finding, TID 1410 per region). */
function group(templateId: string, children: ContentItem[]): ContainerItem {
  return { relationship: RelationshipType.Contains, valueType: 'CONTAINER', name: Codes.MeasurementGroup, continuity: 'SEPARATE', templateId, children };
}

function measurementGroup(f: Tid1501Finding): ContainerItem {
  return group(TID_1501, [
    ...trackingIdentifierItems(f.trackingIdentifier, f.trackingUid),
    ...(f.presence === 'present' ? [findingItem(f.finding)] : []),
    ...algorithmIdentificationItems(f.algorithm),
    ...(f.probability === undefined ? [] : [probabilityItem(f.probability)]),
    ...(f.sizeMm === undefined ? [] : [diameterItem(f.sizeMm)]),
    presenceItem(f.finding, f.presence),
    ...f.sourceImages.map(sourceImageItem),
  ]);
}

function regionGroup(r: Tid1410Region): ContainerItem {
  return group(TID_1410, [
    ...trackingIdentifierItems(`${VIEWER_TOOL_PREFIX}${r.trackingIdentifier}`, r.trackingUid),
    findingItem(r.finding),
    ...algorithmIdentificationItems(r.algorithm),
    regionScoordItem(RelationshipType.Contains, Codes.ImageRegion, r.image, r.points),
    probabilityItem(r.probability, [regionScoordItem(RelationshipType.InferredFrom, undefined, r.image, r.points)]),
  ]);
}

function container(name: CodedConcept, children: readonly ContentItem[]): ContainerItem {
  return { relationship: RelationshipType.Contains, valueType: 'CONTAINER', name, continuity: 'SEPARATE', children };
}

/** Builds the TID 1500 content tree (the root CONTAINER with its descendants). */
export function buildTid1500ContentTree(report: Tid1500Report): RootContainer {
  const children: ContentItem[] = [
    languageItem(report.language),
    ...(report.personObserver === undefined ? [] : personObserverItems(report.personObserver)),
    ...deviceObserverItems(report.observer),
    procedureReportedItem(report.procedureReported),
    container(Codes.ImageLibrary, report.imageLibrary.length === 0 ? [] : [container(Codes.ImageLibraryGroup, report.imageLibrary.map(imageLibraryEntryItem))]),
    container(Codes.ImagingMeasurements, [...report.findings.map(measurementGroup), ...report.regions.map(regionGroup)]),
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
  const { finding, presence } = parseQualitativeFinding(items, path);
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
    presence,
    ...(probability === undefined ? {} : { probability }),
    ...(size === undefined ? {} : { sizeMm: size.value }),
    sourceImages: parseImageReferences(items, Codes.Source),
  };
}

function parseRegion(group: ContainerItem, path: string): Tid1410Region {
  const items = group.children;
  const tracking = parseTrackingIdentifier(items, path);
  const region = parseRegionScoord(oneItemNamed(items, 'SCOORD', Codes.ImageRegion, path), `${path} Image Region`);
  const probability = parseProbability(items, path);
  if (probability === undefined) throw malformed(path, 'a region group has no Certainty of Finding');
  return {
    trackingIdentifier: tracking.identifier.startsWith(VIEWER_TOOL_PREFIX) ? tracking.identifier.slice(VIEWER_TOOL_PREFIX.length) : tracking.identifier,
    trackingUid: tracking.uid,
    finding: oneItemNamed(items, 'CODE', Codes.Finding, path).value,
    algorithm: parseAlgorithmIdentification(items, path),
    image: region.image,
    points: region.points,
    probability,
  };
}

const isRegionGroup = (g: ContainerItem): boolean => itemsNamed(g.children, 'SCOORD', Codes.ImageRegion).length > 0;

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
    ...optionalPerson(parsePersonObserver(items)),
    procedureReported: parseProcedureReported(items, path),
    imageLibrary,
    findings: groups.flatMap((g, i) => (isRegionGroup(g) ? [] : [parseFinding(g, `${path} Measurement Group ${i + 1}`)])),
    regions: groups.flatMap((g, i) => (isRegionGroup(g) ? [parseRegion(g, `${path} Measurement Group ${i + 1}`)] : [])),
    comments: qualitative.flatMap((q) => parseComments(q.children)),
  };
}

function optionalPerson(name: string | undefined): { personObserver?: string } {
  return name === undefined ? {} : { personObserver: name };
}
