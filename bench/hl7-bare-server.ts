/**
 * The reference receiver for bench:hl7, run as its own process like the daemon: the daemon's MLLP server (framing,
 * charset, parse, ACK) with a handler that answers AA at once and stores nothing. Prints its port, exits on SIGTERM.
 */
import { MllpServer } from '../src/hl7/index.js';
import { silentLogger } from '../src/log.js';

const server = new MllpServer(
  { host: '127.0.0.1', port: 0, allowedHosts: ['127.0.0.1'], maxConnections: 64, maxMessageBytes: 1 << 20, idleTimeoutMs: 60_000, shutdownTimeoutMs: 1000 },
  { log: silentLogger, handler: async () => ({ code: 'AA' }) },
);
const port = await server.listen();
process.stdout.write(`${port}\n`);
process.on('SIGTERM', () => {
  void server.close().then(() => process.exit(0));
});
