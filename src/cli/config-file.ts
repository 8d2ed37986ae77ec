/** The config every command reads: `--config FILE`, else $PACS_AI_GATEWAY_CONFIG, else the embedded defaults. */
import { configPathFrom, formatProblems, loadConfig, type GatewayConfig } from '../config/index.js';
import { ExitCode } from './exit-codes.js';

export const CONFIG_OPTION_HELP = 'YAML config file (default: $PACS_AI_GATEWAY_CONFIG, else embedded defaults)';

/** Loads and validates the config; on a problem prints every one with its key path and exits 2. */
export function readConfigOrExit(cliPath: string | undefined): { config: Readonly<GatewayConfig>; source: string } {
  const result = loadConfig(configPathFrom(cliPath, process.env));
  if (!result.ok) {
    process.stderr.write(`${formatProblems(result.source, result.problems)}\n`);
    process.exit(ExitCode.InvalidConfig);
  }
  return result;
}

/** Base URL of the daemon's HTTP API as this config says it listens (0.0.0.0/:: are reached on loopback). */
export function daemonUrl(config: Readonly<GatewayConfig>): string {
  const host = config.http.host === '0.0.0.0' ? '127.0.0.1' : config.http.host === '::' ? '::1' : config.http.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${config.http.port}`;
}

/** Headers for a call to the daemon's API: the bearer token when the config sets one (http.authToken / authTokenFile). */
export function daemonHeaders(config: Readonly<GatewayConfig>): Record<string, string> {
  return config.http.authToken === undefined ? {} : { authorization: `Bearer ${config.http.authToken}` };
}
