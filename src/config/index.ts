export { configSchema, type GatewayConfig, type AllowedPeer } from './schema.js';
export { loadConfig, loadConfigOrThrow, validateConfig, configPathFrom, formatProblems, type ConfigProblem, type ConfigResult } from './load.js';
