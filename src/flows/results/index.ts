/** The results flow: a study's results changed → AI-flags ORU and report-findings SR in the outbox. */
export { resultsFlow, type ResultsFlowDeps, type ResultsFlowEvents } from './results-flow.js';
