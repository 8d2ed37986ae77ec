export { StudyAssembler, type StudyStore } from './study-assembler.js';
export { CompletionRule, IS_COMPLETE_SQL, type StudyProgress } from './completion-rule.js';
export { SqliteStudyStore, prepareStudyActivity, type SqliteJobEnqueue, type StudyActivity } from './sqlite-study-store.js';
export type { Clock } from '../queue/index.js';
