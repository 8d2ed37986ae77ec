export { type ResultObject, type GatewayConfig, type GatewayConfigInput, type AllowedPeer, type DicomDestination, type ModelEntry, type DicomTlsSettings, type Hl7TlsSettings, type TlsClientSettings, type DatabaseSettings, type NodeRole } from './schema.js';
export { loadConfig, configPathFrom, nodeNameOf, formatProblems, type ConfigProblem, type ConfigResult } from './load.js';
export { explainConfig } from './explain.js';
