/** `pacs-ai-gateway start`: the daemon in the foreground until SIGTERM/SIGINT, which drain and exit 0. */
import { GatewayError, describeError } from '../errors.js';
import { createLogger } from '../log.js';
import { Gateway, type GatewayPorts } from '../app/index.js';
import { notifyServiceManager } from '../service-notify.js';
import { ExitCode } from './exit-codes.js';
import { readConfigOrExit } from './config-file.js';

export async function startCommand(cliPath: string | undefined): Promise<void> {
  const { config, source } = readConfigOrExit(cliPath);
  const log = createLogger({ level: config.log.level });
  const gateway = new Gateway(config, log);
  // systemd Type=notify: READY=1 once every port is open (nothing is sent without NOTIFY_SOCKET).
  const notify = { notifySocket: process.env.NOTIFY_SOCKET, log };
  // Signals are handled from the first moment, not only once started: a stop during start-up (models still
  // loading, or the instant after the ports opened) waits for the start to settle, then drains and exits 0.
  let starting: Promise<GatewayPorts> | undefined;
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info('signal received', { signal });
    void notifyServiceManager('stopping', `stopping (${signal})`, notify);
    Promise.resolve(starting)
      .catch(() => undefined)
      .then(() => gateway.stop())
      .then(
        () => process.exit(ExitCode.Ok),
        (err: unknown) => {
          log.error('shutdown failed', { err: describeError(err) });
          process.exit(ExitCode.Failure);
        },
      );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  // Renewed TLS certificates, without dropping open associations (systemd: ExecReload=kill -HUP $MAINPID).
  process.on('SIGHUP', () => gateway.reloadTls());
  log.info('configuration loaded', { source });
  starting = gateway.start();

  let ports: GatewayPorts;
  try {
    ports = await starting;
  } catch (err) {
    if (stopping) return; // the signal's shutdown exits
    log.error('gateway failed to start', { err: describeError(err), code: err instanceof GatewayError ? err.code : undefined });
    process.exitCode = ExitCode.Failure;
    await gateway.stop().catch(() => {});
    return; // signal listeners do not keep Node alive: the process ends with exitCode 1
  }
  if (stopping) return;
  const tls = [ports.dicomTls === undefined ? '' : `, DICOM TLS port ${ports.dicomTls}`, ports.hl7Tls === undefined ? '' : `, HL7 TLS port ${ports.hl7Tls}`].join('');
  void notifyServiceManager('ready', `DICOM port ${ports.dicom ?? 'off'}, HL7 port ${ports.hl7 ?? 'off'}, HTTP port ${ports.http}${tls}`, notify);
}
