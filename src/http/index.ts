export { HttpServer, type HttpDeps, type HealthReport, type StudyListItem } from './http-server.js';
