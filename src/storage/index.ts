export { Spool, SpoolFile } from './spool.js';
export { freeBytes } from './disk-space.js';
export { sameDataset } from './compare.js';
