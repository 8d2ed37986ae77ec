/** The images flow: C-STORE → spool + index → study completion → analysis → result SR in the outbox. */
export { ImageFlow, type ImageFlowDeps, type ImageFlowEvents } from './image-flow.js';
export { resolveModelEntries } from './model-entries.js';
