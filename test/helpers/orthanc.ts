/**
 * Orthanc (Debian 1.10) as a test PACS: a fresh storage folder per start, HTTP and DICOM on free ports kept on
 * 127.0.0.1 by the bind shim, Nagle off, logs in the temp folder, killed on stop (and on process exit).
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bindShim } from './dcmtk.js';
import { freePort, tempDir, waitFor } from './fixtures.js';
import { ownedPeer, spawnPeer } from './peers.js';

export interface OrthancModality {
  aeTitle: string;
  host: string;
  port: number;
}

export interface OrthancOptions {
  /** Orthanc's own AE title. Default ORTHANC. */
  aeTitle?: string;
  /** Refuse associations whose called AE title is not ours (A-ASSOCIATE-RJ). Default true. */
  checkCalledAet?: boolean;
  /** `DicomModalities`, by symbolic name (the name used in `/modalities/NAME/store`). */
  modalities?: Record<string, OrthancModality>;
  /** Lua source; written beside the config and listed in `LuaScripts`. */
  luaScript?: string;
  /** Seconds without new instances before a study is "stable" (Lua OnStableStudy). Default 60, as Orthanc's. */
  stableAgeSec?: number;
  /** More configuration keys, merged last (they win). */
  extraConfig?: Record<string, unknown>;
  /** How long to wait for `/system` to answer. Default 20 000 ms. */
  startTimeoutMs?: number;
  /** Restart an earlier instance: same folder (storage, index) and ports. */
  reuse?: Pick<Orthanc, 'dir' | 'dicomPort' | 'httpPort'>;
}

export interface Orthanc {
  aeTitle: string;
  dicomPort: number;
  httpPort: number;
  /** The temp folder: config, storage, index, Lua script, `orthanc.log`. */
  dir: string;
  logFile: string;
  process: ChildProcess;
  url(path: string): string;
  getJson<T>(path: string): Promise<T>;
  postJson<T>(path: string, body: unknown): Promise<T>;
  /** Orthanc instance ids (`GET /instances`). */
  instances(): Promise<string[]>;
  /** The Orthanc id of the instance with this SOP Instance UID (`POST /tools/lookup`), if Orthanc holds it. */
  findInstance(sopInstanceUid: string): Promise<string | undefined>;
  /** The last lines of the log, for failure messages. */
  logTail(lines?: number): string;
  /** SIGTERM, then SIGKILL after 5 s; resolves when the process has exited. Safe to call twice. */
  stop(): Promise<void>;
}

export async function startOrthanc(options: OrthancOptions = {}): Promise<Orthanc> {
  const dir = options.reuse?.dir ?? tempDir('pag-orthanc-');
  const [dicomPort, httpPort] = options.reuse === undefined ? [await freePort(), await freePort()] : [options.reuse.dicomPort, options.reuse.httpPort];
  const aeTitle = options.aeTitle ?? 'ORTHANC';
  const logFile = join(dir, 'orthanc.log');
  const luaScripts: string[] = [];
  if (options.luaScript !== undefined) {
    const lua = join(dir, 'script.lua');
    writeFileSync(lua, options.luaScript);
    luaScripts.push(lua);
  }
  const config = {
    Name: `TEST-${aeTitle}`,
    StorageDirectory: join(dir, 'db'),
    IndexDirectory: join(dir, 'db'),
    Plugins: [],
    LuaScripts: luaScripts,
    HttpServerEnabled: true,
    HttpPort: httpPort,
    RemoteAccessAllowed: false,
    AuthenticationEnabled: false,
    OrthancExplorerEnabled: false,
    WebDavEnabled: false,
    DicomServerEnabled: true,
    DicomAet: aeTitle,
    DicomPort: dicomPort,
    DicomCheckCalledAet: options.checkCalledAet ?? true,
    DicomAlwaysAllowStore: true,
    DicomAlwaysAllowEcho: true,
    DicomModalities: Object.fromEntries(Object.entries(options.modalities ?? {}).map(([name, m]) => [name, [m.aeTitle, m.host, m.port]])),
    StableAge: options.stableAgeSec ?? 60,
    SaveJobs: false,
    SyncStorageArea: true,
    ...options.extraConfig,
  };
  const configFile = join(dir, 'orthanc.json');
  writeFileSync(configFile, JSON.stringify(config, null, 2));
  const child = spawnPeer('Orthanc', [`--logfile=${logFile}`, configFile], { env: { LD_PRELOAD: bindShim() }, stdio: 'ignore' });
  const stop = ownedPeer(child);

  const url = (path: string): string => `http://127.0.0.1:${httpPort}${path}`;
  const logTail = (lines = 30): string => (existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').slice(-lines).join('\n') : '(no log yet)');
  const fetchJson = async <T>(path: string, init?: RequestInit): Promise<T> => {
    const res = await fetch(url(path), init);
    if (!res.ok) throw new Error(`Orthanc ${init?.method ?? 'GET'} ${path}: HTTP ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };

  try {
    await waitFor(
      'Orthanc to answer GET /system',
      async () => {
        if (child.exitCode !== null) throw new Error(`Orthanc exited with ${child.exitCode} while starting:\n${logTail()}`);
        try {
          return (await fetch(url('/system'))).ok;
        } catch {
          return false;
        }
      },
      options.startTimeoutMs ?? 20_000,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    aeTitle,
    dicomPort,
    httpPort,
    dir,
    logFile,
    process: child,
    url,
    getJson: (path) => fetchJson(path),
    postJson: (path, body) => fetchJson(path, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    instances: () => fetchJson<string[]>('/instances'),
    async findInstance(sopInstanceUid) {
      const found = await fetchJson<Array<{ ID: string; Type: string }>>('/tools/lookup', { method: 'POST', body: sopInstanceUid });
      return found.find((f) => f.Type === 'Instance')?.ID;
    },
    logTail,
    stop,
  };
}
