export { StudyAssembler, systemClock, type Clock, type StudyStore, type StudyProgressEvent } from './study-assembler.js';
