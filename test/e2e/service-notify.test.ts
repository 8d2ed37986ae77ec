/**
 * Readiness for systemd (Type=notify): with NOTIFY_SOCKET set, the daemon reports READY=1 once its ports are
 * open and STOPPING=1 on SIGTERM, through the real `systemd-notify`. The service manager's side is a unix
 * datagram socket held by python3 (Node has none), which answers systemd-notify's barrier as systemd does: by
 * closing the file descriptor it was sent.
 */
import { expect } from 'chai';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { startDaemon, type DaemonProcess } from '../helpers/daemon.js';
import { runCleanups, tempDir, waitFor } from '../helpers/fixtures.js';
import { requirePeers, spawnPeer } from '../helpers/peers.js';

const FAKE_MANAGER = `
import array, json, os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print(json.dumps("listening"), flush=True)
while True:
    data, anc, _flags, _addr = s.recvmsg(65536, socket.CMSG_SPACE(16 * 4))
    for level, kind, payload in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds = array.array("i")
            fds.frombytes(payload[: len(payload) - len(payload) % fds.itemsize])
            for fd in fds:
                os.close(fd)
    print(json.dumps(data.decode()), flush=True)
`;

interface FakeManager {
  socketPath: string;
  messages: () => string[];
  process: ChildProcess;
}

async function startFakeManager(): Promise<FakeManager> {
  const socketPath = join(tempDir('pag-notify-'), 'notify.sock');
  const child = spawnPeer('python3', ['-c', FAKE_MANAGER, socketPath], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  const messages = (): string[] => out.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as string);
  await waitFor('the fake service manager to bind its socket', () => messages().includes('listening'), 10_000);
  return { socketPath, messages: () => messages().filter((m) => m !== 'listening'), process: child };
}

/** Starts the daemon with these variables set (undefined: removed) in its environment; spawnDaemon passes ours on. */
async function startWithEnv(env: Record<string, string | undefined>): Promise<DaemonProcess> {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  const apply = (vars: Record<string, string | undefined>): void => {
    for (const [k, v] of Object.entries(vars)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  apply(env);
  try {
    return await startDaemon({ dataDir: tempDir('pag-data-'), dicom: { port: 0 }, http: { port: 0 }, models: [] });
  } finally {
    apply(saved);
  }
}

describe('e2e: systemd readiness notification', function () {
  this.timeout(60_000);
  let manager: FakeManager | undefined;
  let daemon: DaemonProcess | undefined;
  afterEach(async () => {
    if (daemon !== undefined && daemon.child.exitCode === null) {
      daemon.child.kill('SIGKILL');
      await daemon.exited;
    }
    manager?.process.kill('SIGKILL');
    daemon = undefined;
    manager = undefined;
  });
  after(runCleanups);

  it('sends READY=1 with its main PID and ports once listening, and STOPPING=1 on SIGTERM', async function () {
    requirePeers(this, 'systemd-notify', 'python3');
    manager = await startFakeManager();
    daemon = await startWithEnv({ NOTIFY_SOCKET: manager.socketPath });
    const ready = await waitFor('READY=1 from the daemon', () => manager?.messages().find((m) => m.includes('READY=1')), 15_000);
    expect(ready).to.contain(`MAINPID=${daemon.child.pid}`);
    expect(ready).to.contain(`STATUS=DICOM port ${daemon.dicomPort}, HL7 port ${daemon.hl7Port}, HTTP port ${daemon.httpPort}`);
    // The ports really are open when READY=1 arrives.
    expect((await fetch(`http://127.0.0.1:${daemon.httpPort}/healthz`)).status).to.equal(200);

    daemon.child.kill('SIGTERM');
    expect(await daemon.exited).to.equal(0);
    // systemd-notify runs beside the shutdown and may finish after the daemon has exited.
    const m = manager;
    await waitFor('STOPPING=1 from the daemon', () => m.messages().some((msg) => msg.includes('STOPPING=1')), 10_000);
  });

  it('keeps running and logs a warning when systemd-notify cannot be run', async function () {
    requirePeers(this, 'python3');
    manager = await startFakeManager();
    // No PATH: systemd-notify is not found (the daemon itself is started by absolute path).
    daemon = await startWithEnv({ NOTIFY_SOCKET: manager.socketPath, PATH: '/nonexistent' });
    const d = daemon;
    await waitFor('the warning line', () => d.output().includes('"service manager notification failed"'), 15_000);
    expect((await fetch(`http://127.0.0.1:${d.httpPort}/healthz`)).status).to.equal(200);
    expect(manager.messages()).to.deep.equal([]);
    d.child.kill('SIGTERM');
    expect(await d.exited).to.equal(0);
  });

  it('sends nothing and logs nothing about it without NOTIFY_SOCKET', async () => {
    daemon = await startWithEnv({ NOTIFY_SOCKET: undefined });
    const d = daemon;
    d.child.kill('SIGTERM');
    expect(await d.exited).to.equal(0);
    expect(d.output()).not.to.contain('service manager');
  });
});
