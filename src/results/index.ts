/** Public API of `results`: findings as DICOM SR (TID 1500 / IHE AIR) and HL7 ORU, AI-versus-report concordance, deterministic result UIDs. */
export { deriveUid } from './derive-uid.js';
export { contentDigest, resultRevisionUid, type RevisionContent } from './result-revision.js';
export { nextRevision, type CurrentSr, type RevisionLookups, type RevisionStep } from './revision-step.js';
export { CodingScheme, Codes, FindingCodes, sameConcept } from './sr/codes.js';
export {
  RelationshipType,
  encodeContentItem,
  parseContentItem,
  type CodedConcept,
  type ContentItem,
  type ContainerItem,
  type CodeItem,
  type NumItem,
  type TextItem,
  type UidRefItem,
  type ImageItem,
  type ScoordItem,
  type RootContainer,
} from './sr/content-items.js';
export type { DeviceObserver, AlgorithmIdentification, ImageReference, Presence } from './sr/fixed-meaning-items.js';
export {
  buildTid1500Report,
  buildTid1500ContentTree,
  parseTid1500Report,
  VIEWER_TOOL_PREFIX,
  type Tid1410Region,
  type Tid1500Report,
  type Tid1501Finding,
} from './sr/tid1500.js';
export type { FindingRegion } from './finding-region.js';
export { readSourceContext, sourceContextFromDataset, sourceContextFromPart10, type SourceContext } from './sr/source-context.js';
export {
  buildFindingsSr,
  findingsSrIdentity,
  parseFindingsSr,
  COMPREHENSIVE_3D_SR_SOP_CLASS,
  DEMO_DISCLAIMER,
  type AiFinding,
  type FindingsSr,
  type FindingsSrIdentity,
  type FindingsSrInput,
  type PredecessorDocument,
  type SrRequest,
  type SrRevision,
  type LocalCodingScheme,
  type ModelIdentity,
  type ParsedFindingsSr,
  type ReferencedInstance,
  type WriterEquipment,
} from './sr/sr-document.js';
export { buildAiFlagsOru, type AiFlagsOru, type AiFlagsOruInput, type OruFinding, type OruDiscordance } from './hl7-oru.js';
export { accessionIssuerFromSource, oruPatientFromSource, type AssigningAuthority, type OruPatient } from './oru-patient.js';
export { compareFindings, CONCORDANCE, type AiFlag, type CodedFinding, type ConcordanceItem, type ConcordanceState, type ReportMention } from './concordance.js';
export { dicomDateTime, resultDateTime } from './dicom-datetime.js';
export { buildKeyObjectSelection, keyObjectDescription, KeyObjectCodes, KEY_OBJECT_SELECTION_SOP_CLASS, type KeyImage, type KeyObjectSelection, type KeyObjectSelectionInput } from './kos.js';
export {
  buildSummaryImage,
  renderSummary,
  summaryLayout,
  summarySliceSize,
  imageSizeOf,
  SECONDARY_CAPTURE_SOP_CLASS,
  SUMMARY_DEMO_DISCLAIMER,
  SummaryColours,
  type FindingRegionInput,
  type SummaryImage,
  type SummaryImageInput,
  type SummaryLayout,
  type SummarySlice,
  type TextLine,
} from './summary-image.js';
