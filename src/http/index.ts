export { HttpServer, type ApiAccess, type ApiCaller, type HttpDeps, type HttpOptions, type HealthReport, type StudyListItem, type ResultRevisionsView, type OutboxListItem, type StatusReport, type DestinationHealth, type NodeStatus } from './http-server.js';
export { GatewayMetrics, type MetricsSources } from './metrics.js';
