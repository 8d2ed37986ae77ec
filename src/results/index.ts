/** Public API of `results`: AI results as DICOM SR (TID 1500 / IHE AIR) and deterministic result UIDs. */
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
  type RootContainer,
} from './sr/content-items.js';
export type { DeviceObserver, AlgorithmIdentification, ImageReference, Presence } from './sr/fixed-meaning-items.js';
export { buildTid1500Report, buildTid1500ContentTree, parseTid1500Report, type Tid1500Report, type Tid1501Finding } from './sr/tid1500.js';
export { readSourceContext, sourceContextFromDataset, sourceContextFromPart10, type SourceContext } from './sr/source-context.js';
export {
  buildAiResultSr,
  isImageSopClass,
  parseAiResultSr,
  COMPREHENSIVE_3D_SR_SOP_CLASS,
  DEMO_DISCLAIMER,
  type AiFinding,
  type AiResultSr,
  type AiResultSrInput,
  type LocalCodingScheme,
  type ModelIdentity,
  type ParsedAiResultSr,
  type ReferencedInstance,
  type WriterEquipment,
} from './sr/sr-document.js';
export { buildAiFlagsOru, type AiFlagsOru, type AiFlagsOruInput, type OruFinding, type OruDiscordance } from './hl7-oru.js';
