export { HttpServer, type HttpDeps, type HealthReport, type StudyListItem, type OutboxListItem } from './http-server.js';
