/** Starts a Gateway in-process on free ports with its own data dir. */
import { type GatewayConfig, type GatewayConfigInput } from '../../src/config/index.js';
import { validateConfig } from '../../src/config/load.js';
import { createLogger, silentLogger, type Logger } from '../../src/log.js';
import { Gateway } from '../../src/app/index.js';
import { runCleanups, tempDir } from './fixtures.js';

export interface TestGateway {
  gateway: Gateway;
  config: Readonly<GatewayConfig>;
  dicomPort: number;
  httpPort: number;
  hl7Port: number | undefined;
  /** TLS listeners, when dicom.tls / hl7.tls are set. */
  dicomTlsPort: number | undefined;
  hl7TlsPort: number | undefined;
  dataDir: string;
  stop(): Promise<void>;
  getJson<T>(path: string): Promise<{ status: number; body: T }>;
}

export async function startGateway(overrides: GatewayConfigInput = {}, log: Logger = process.env.TEST_LOG ? createLogger({ level: 'debug' }) : silentLogger): Promise<TestGateway> {
  const dataDir = overrides.dataDir ?? tempDir('pag-gw-');
  const raw = {
    ...overrides,
    dataDir,
    dicom: { port: 0, studyQuietSeconds: 1, ...overrides.dicom },
    http: { port: 0, ...overrides.http },
    hl7: { port: 0, ...overrides.hl7 },
    storage: { minFreeBytes: 0, ...overrides.storage },
  };
  const result = validateConfig(raw, 'test');
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  const gateway = new Gateway(result.config, log);
  const ports = await gateway.start();
  return {
    gateway,
    config: result.config,
    // -1 when the plain listener is off (TLS only): connecting to it fails rather than reaching another server
    dicomPort: ports.dicom ?? -1,
    httpPort: ports.http,
    hl7Port: ports.hl7,
    dicomTlsPort: ports.dicomTls,
    hl7TlsPort: ports.hl7Tls,
    dataDir,
    stop: () => gateway.stop(),
    async getJson<T>(path: string) {
      const res = await fetch(`http://127.0.0.1:${ports.http}${path}`);
      return { status: res.status, body: (await res.json()) as T };
    },
  };
}

/**
 * One gateway for a mocha `describe` block: started before its tests, stopped and its temp folders removed after.
 * Returns a getter, since the gateway exists only once `before` has run.
 */
export function gatewayPerSuite(overrides: GatewayConfigInput = {}): () => TestGateway {
  let gw: TestGateway | undefined;
  before(async () => {
    gw = await startGateway(overrides);
  });
  after(async () => {
    await gw?.stop();
    runCleanups();
  });
  return () => {
    if (gw === undefined) throw new Error('the suite gateway is used before its before() hook ran');
    return gw;
  };
}
