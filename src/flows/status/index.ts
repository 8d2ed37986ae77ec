/** What the gateway shows: the HTTP API's views and the metrics' sources (read side only; it changes nothing). */
export { apiViews, type ApiViewDeps, type ApiViews } from './api-views.js';
export { metricsSources, recordScpEvent, type MetricsSourceDeps } from './metrics-wiring.js';
export { listNodeStatus, nodeStatus } from './node-view.js';
