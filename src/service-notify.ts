/**
 * Tells systemd (Type=notify) that the daemon is ready or stopping, through `systemd-notify`.
 *
 * Why a child process: the protocol is one AF_UNIX datagram to $NOTIFY_SOCKET, and Node has no unix datagram
 * sockets (`dgram` is UDP only; `net` is stream only), so writing it ourselves would need a native addon.
 * `systemd-notify` (systemd ≥ 246) waits until the manager has processed the message (a barrier) before it
 * exits, so systemd can still attribute the message to our unit; the unit sets NotifyAccess=all because the
 * sender is our child, not the main process.
 *
 * A failed notification is logged and never stops the daemon: under Type=notify systemd then reports a start
 * timeout, which names the problem better than a crash would.
 */
import { execFile } from 'node:child_process';
import type { Logger } from './log.js';

export type ServiceState = 'ready' | 'stopping';

export interface ServiceNotifyOptions {
  /** $NOTIFY_SOCKET as the service manager set it; undefined or empty: not run by systemd, nothing is sent. */
  notifySocket: string | undefined;
  log: Logger;
  /** The program to run; tests point it elsewhere. */
  command?: string;
  /** Kill systemd-notify after this long (its own barrier wait is 5 s). Milliseconds. */
  timeoutMs?: number;
}

/** The arguments systemd-notify gets for a state; `status` is shown by `systemctl status`. */
export function notifyArgs(state: ServiceState, status: string, mainPid: number): string[] {
  const args = state === 'ready' ? ['--ready', `--pid=${mainPid}`] : ['STOPPING=1'];
  return [...args, `--status=${status}`];
}

/** Sends the notification; resolves to whether it was delivered (false also when there is no NOTIFY_SOCKET). */
export function notifyServiceManager(state: ServiceState, status: string, options: ServiceNotifyOptions): Promise<boolean> {
  if (options.notifySocket === undefined || options.notifySocket === '') return Promise.resolve(false);
  const command = options.command ?? 'systemd-notify';
  const args = notifyArgs(state, status, process.pid);
  return new Promise((resolve) => {
    // execFile passes our environment on, NOTIFY_SOCKET included.
    execFile(command, args, { timeout: options.timeoutMs ?? 10_000 }, (err, _stdout, stderr) => {
      if (err === null) {
        options.log.debug('service manager notified', { state });
        resolve(true);
        return;
      }
      options.log.warn('service manager notification failed', {
        state,
        command,
        err: err.message,
        stderr: stderr.trim(),
        hint: 'install systemd (systemd-notify), or use Type=simple in the unit',
      });
      resolve(false);
    });
  });
}
