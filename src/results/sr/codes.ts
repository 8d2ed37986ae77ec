/**
 * The coded concepts the SR builder writes, each checked against DICOM PS3.16 (`test/interop/sr-codes.test.ts`
 * re-checks them against pydicom's copy of the PS3.16 tables on every run).
 *
 * How each entry was verified (see docs/sr.md, "Codes"):
 * - "pydicom": present with this value, scheme and meaning in pydicom 2.3's `pydicom/sr/_concepts_dict.py`, which is
 *   generated from the PS3.16 code tables (Annex D for DCM, the CIDs for SCT/UCUM); the CIDs it lists are quoted.
 * - "highdicom": defined in highdicom `sr/templates/tid1500.py` or `sr/content.py` (template-row concepts that are in
 *   no CID, so absent from pydicom's tables).
 * No code here is invented: a concept without a standard code gets no private scheme; it is left out.
 */
import type { CodedConcept } from './content-items.js';

/** Coding Scheme Designators used here (PS3.16 Table 8-1); none needs a Coding Scheme Identification Sequence. */
export const CodingScheme = {
  /** DICOM Controlled Terminology, PS3.16 Annex D. */
  DCM: 'DCM',
  /** SNOMED CT, with its numeric concept ids (not the retired SNOMED-RT "SRT"). */
  SCT: 'SCT',
  /** RSNA RadLex, `RID…` ids. */
  RADLEX: 'RADLEX',
  /** Unified Code for Units of Measure. */
  UCUM: 'UCUM',
  /** UMLS concept unique identifiers. */
  UMLS: 'UMLS',
  /** IETF BCP 47 language tags (CID 5000). */
  RFC5646: 'RFC5646',
  /** LOINC. */
  LN: 'LN',
} as const;

const dcm = (value: string, meaning: string): CodedConcept => ({ value, scheme: CodingScheme.DCM, meaning });
const sct = (value: string, meaning: string): CodedConcept => ({ value, scheme: CodingScheme.SCT, meaning });

/** Concept names and values of the TID 1500 / IHE AIR tree and the document header. */
export const Codes = {
  // --- TID 1500 Measurement Report
  /** Document title, TID 1500 row 1; CID 7021 Measurement Report Document Titles. pydicom. */
  ImagingMeasurementReport: dcm('126000', 'Imaging Measurement Report'),
  /** TID 1204 row 1 (TID 1500 row 2). pydicom (Annex D). */
  LanguageOfContentItemAndDescendants: dcm('121049', 'Language of Content Item and Descendants'),
  /** CID 5000 Languages; value of the language item. highdicom DEFAULT_LANGUAGE (older editions say "English (US)"). */
  EnglishUnitedStates: { value: 'en-US', scheme: CodingScheme.RFC5646, meaning: 'English (United States)' },
  /** TID 1500 row 4; CIDs 6052, 6053 list it too. pydicom. */
  ProcedureReported: dcm('121058', 'Procedure reported'),
  /** Fallback Procedure reported when the source study has no Procedure Code Sequence; CID 100, CID 634. pydicom. */
  ImagingProcedure: sct('363679005', 'Imaging procedure'),
  /** TID 1600 root (TID 1500 "Image Library"). pydicom (Annex D). */
  ImageLibrary: dcm('111028', 'Image Library'),
  /** TID 1600 row 2. pydicom (Annex D). */
  ImageLibraryGroup: dcm('126200', 'Image Library Group'),
  /** TID 1500 row 6 container. pydicom (Annex D). */
  ImagingMeasurements: dcm('126010', 'Imaging Measurements'),
  /** TID 1500 "Qualitative Evaluations" container (UMLS); in no CID. highdicom tid1500.py, HL7 dicom-sr IG. */
  QualitativeEvaluations: { value: 'C0034375', scheme: CodingScheme.UMLS, meaning: 'Qualitative Evaluations' },
  /** Free-text comment; CID 12101. pydicom. Used for the demo-model disclaimer. */
  Comment: dcm('121106', 'Comment'),

  // --- TID 1001/1002/1004 Observation Context: device observer
  /** TID 1002 row 1. pydicom (Annex D). */
  ObserverType: dcm('121005', 'Observer Type'),
  /** CID 270 Observer Type. pydicom. */
  Device: dcm('121007', 'Device'),
  /** CID 270 Observer Type. pydicom. */
  Person: dcm('121006', 'Person'),
  /** TID 1003 row 1 (mandatory): the person's name, PNAME. pydicom (Annex D). */
  PersonObserverName: dcm('121008', 'Person Observer Name'),
  /** TID 1004 row 1 (mandatory). pydicom (Annex D). */
  DeviceObserverUid: dcm('121012', 'Device Observer UID'),
  /** TID 1004 row 2. pydicom (Annex D). */
  DeviceObserverName: dcm('121013', 'Device Observer Name'),
  /** TID 1004 row 3. pydicom (Annex D). */
  DeviceObserverManufacturer: dcm('121014', 'Device Observer Manufacturer'),
  /** TID 1004 row 4. pydicom (Annex D). */
  DeviceObserverModelName: dcm('121015', 'Device Observer Model Name'),

  // --- TID 1501 Measurement and Qualitative Evaluation Group
  /** TID 1501 root container. pydicom (Annex D). */
  MeasurementGroup: dcm('125007', 'Measurement Group'),
  /** TID 4108 row 1 (in TID 1501). pydicom (Annex D). */
  TrackingIdentifier: dcm('112039', 'Tracking Identifier'),
  /** TID 4108 row 2 (in TID 1501). pydicom (Annex D). */
  TrackingUniqueIdentifier: dcm('112040', 'Tracking Unique Identifier'),
  /** TID 1501 "Finding"; CIDs 3419, 9000, 6053, 7002. pydicom. */
  Finding: dcm('121071', 'Finding'),
  /** TID 4019 row 1 (in TID 1501). pydicom (Annex D). */
  AlgorithmName: dcm('111001', 'Algorithm Name'),
  /** TID 4019 row 2 (in TID 1501). pydicom (Annex D). */
  AlgorithmVersion: dcm('111003', 'Algorithm Version'),
  /**
   * The model's probability that the finding is present, as a NUM; CID 6048 CAD Operating Point Axis Label. pydicom.
   * Annex D: "the likelihood that the finding detected is in fact the type of finding identified". The CAD templates
   * that define it as a NUM (e.g. TID 4006 Mammography CAD Single Image Finding) give it in UCUM "%", 0-100, and
   * so does this SR (`Percent`). PS3.16 has no "AI probability" concept; this CAD concept is the closest standard one.
   */
  CertaintyOfFinding: dcm('111012', 'Certainty of Finding'),
  /** TID 1410 row "Image Region": the SCOORD outlining the region a measurement group is about. pydicom (Annex D). */
  ImageRegion: dcm('111030', 'Image Region'),
  /** TID 1501 source image row ("Source", SCT), IMAGE with CONTAINS. highdicom content.py SourceImageForMeasurementGroup. */
  Source: sct('260753009', 'Source'),
  /** CID 240 / 241 Present-Absent. pydicom. */
  Present: sct('52101004', 'Present'),
  /** CID 240 / 241 Present-Absent (not 2667000). pydicom; bvdh/dicom-terminology-in-fhir CID 241. */
  Absent: sct('272519000', 'Absent'),
  /** CID 240 Present-Absent: a report that hedges ("possible", 可能). pydicom. */
  Undetermined: sct('373068000', 'Undetermined'),
  /** A finding's size as a report states it; CIDs 7470, 6165 … (linear measurements). pydicom. */
  Diameter: sct('81827009', 'Diameter'),

  // --- units
  /** UCUM "1": a dimensionless value in [0, 1]; CID 7181. pydicom. Read back from SRs written before "%". */
  NoUnits: { value: '1', scheme: CodingScheme.UCUM, meaning: 'no units' },
  /** UCUM "%": Certainty of Finding, 0-100 (see CertaintyOfFinding); CIDs 7181, 83, 4244. pydicom. */
  Percent: { value: '%', scheme: CodingScheme.UCUM, meaning: 'Percent' },
  /** UCUM millimetre; CID 7181. pydicom. */
  Millimeter: { value: 'mm', scheme: CodingScheme.UCUM, meaning: 'millimeter' },

  // --- header: Contributing Equipment Sequence
  /** Purpose of Reference of the algorithm in Contributing Equipment Sequence; CID 7005. pydicom. */
  ProcessingEquipment: dcm('109102', 'Processing Equipment'),
} as const satisfies Record<string, CodedConcept>;

/**
 * Findings a model config may name (its `finding`), as a convenience: each verified like `Codes`. Models may use
 * any SCT / RADLEX concept; these are the ones this project's demo and tests use.
 */
export const FindingCodes = {
  /** CIDs 6102, 6104, 7151, 7159, 7194. pydicom. The demo CNN's finding (lung-nodule-like lesions). */
  Nodule: sct('27925004', 'Nodule'),
  /** CIDs 6062, 6102, 6105. pydicom. */
  Pneumothorax: sct('36118008', 'Pneumothorax'),
  /** CID 645. pydicom. */
  PleuralEffusion: sct('60046008', 'Pleural effusion'),
  /** CIDs 12248, 12249. pydicom. */
  Cardiomegaly: sct('287272002', 'Cardiomegaly'),
} as const satisfies Record<string, CodedConcept>;

/** Whether two concepts are the same code (meanings may differ between editions and are not compared). */
export function sameConcept(a: CodedConcept, b: CodedConcept): boolean {
  return a.value === b.value && a.scheme === b.scheme;
}
