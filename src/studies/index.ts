export { StudyAssembler, type StudyStore, type StudyProgressEvent } from './study-assembler.js';
export { systemClock, type Clock } from '../queue/index.js';
