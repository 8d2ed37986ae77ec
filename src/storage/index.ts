export { LocalSpool } from './local-spool.js';
export type { Spool, SpoolTempFile, SpoolEntry, SpoolRemoval } from './spool.js';
export { instanceKey, resultKey } from './spool-key.js';
