/** What paces the flows' background work: the gate that makes it give way to intake. The work loops are src/queue's. */
export { IntakeGate } from './intake-gate.js';
