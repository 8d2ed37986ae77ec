export { HttpServer, type HttpDeps, type HealthReport, type StudyListItem, type OutboxListItem, type StatusReport } from './http-server.js';
