/** The reports flow: MLLP → stored report and ACK → report NLP → "this study's results changed". */
export { ReportFlow, loadReportNer, reportAnalyzerIdentity, type ReportAnalyzerIdentity, type ReportFlowDeps, type ReportFlowEvents } from './report-flow.js';
