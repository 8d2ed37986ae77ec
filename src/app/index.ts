/** The daemon, composed: what `pacs-ai-gateway start` (and the tests) run. */
export { Gateway, type GatewayPorts } from './gateway.js';
