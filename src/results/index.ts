/** Public API of `results`: findings as DICOM SR (TID 1500 / IHE AIR) and HL7 ORU, AI-versus-report concordance, deterministic result UIDs. */
export { deriveUid } from './derive-uid.js';
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
  parseFindingsSr,
  COMPREHENSIVE_3D_SR_SOP_CLASS,
  DEMO_DISCLAIMER,
  type AiFinding,
  type FindingsSr,
  type FindingsSrInput,
  type LocalCodingScheme,
  type ModelIdentity,
  type ParsedFindingsSr,
  type ReferencedInstance,
  type WriterEquipment,
} from './sr/sr-document.js';
export { buildAiFlagsOru, type AiFlagsOru, type AiFlagsOruInput, type OruFinding, type OruDiscordance } from './hl7-oru.js';
export { compareFindings, CONCORDANCE, type AiFlag, type CodedFinding, type ConcordanceItem, type ConcordanceState, type ReportMention } from './concordance.js';
export { dicomDateTime } from './dicom-datetime.js';
