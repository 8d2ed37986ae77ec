export { openDatabase, isoNow, type Db } from './database.js';
export { InstancesRepo, type InstanceRecord, type StudyProgress, type ExistingInstance, type StoredInstance } from './instances-repo.js';
export { StudiesRepo, STUDY_STATES, type StudyState, type StudySummary } from './studies-repo.js';
export { JobsRepo, JobKind, JOB_STATES, type Job, type JobState } from './jobs-repo.js';
export { OutboxRepo, OUTBOX_STATES, type OutboxItem, type OutboxKind, type OutboxState, type NewOutboxItem, type OutboxDestinationStats } from './outbox-repo.js';
export { ResultsRepo, type AnalysisResult } from './results-repo.js';
export { Hl7MessagesRepo, type NewHl7Message, type StoredReport } from './hl7-messages-repo.js';
