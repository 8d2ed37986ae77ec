/** Public API of `results`: findings as DICOM SR (TID 1500 / IHE AIR) and HL7 ORU, AI-versus-report concordance, deterministic result UIDs. */
export { deriveUid } from './derive-uid.js';
export { type RevisionContent } from './result-revision.js';
export { nextRevision, type CurrentSr, type RevisionLookups, type RevisionStep } from './revision-step.js';

export {
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
  type Tid1410Region,
  type Tid1500Report,
  type Tid1501Finding,
} from './sr/tid1500.js';
export type { FindingRegion } from './finding-region.js';
export { sourceContextFromPart10, type SourceContext } from './sr/source-context.js';
export {
  buildFindingsSr,
  findingsSrIdentity,
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
export { compareFindings, type AiFlag, type CodedFinding, type ConcordanceItem, type ConcordanceState, type ReportMention } from './concordance.js';
export { resultDateTime } from './dicom-datetime.js';
export { buildKeyObjectSelection, type KeyImage, type KeyObjectSelection, type KeyObjectSelectionInput } from './kos.js';
export {
  buildSummaryImage,
  summarySliceSize,
  imageSizeOf,
  SECONDARY_CAPTURE_SOP_CLASS,
  type FindingRegionInput,
  type SummaryImage,
  type SummaryImageInput,
  type SummaryLayout,
  type SummarySlice,
  type TextLine,
} from './summary-image.js';
