export { DicomScp, type ScpOptions, type ScpDeps } from './scp.js';
export type { AssociationSummary, AssociationOutcome } from './scp-association.js';
export { discardingSink, type StoreHandler, type StoreSink, type StoreRequest, type StoreOutcome } from './store-handler.js';
export { Status, isSuccessOrWarning } from './dimse-command.js';
export { parseUid, type Uid, TransferSyntax, IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from './uids.js';
export { buildFileMetaHeader } from './part10.js';
export { readDatasetHeader, type DatasetHeader, type HeaderResult } from './dataset-header.js';
