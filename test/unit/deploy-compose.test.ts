/**
 * The compose example for a cluster (deploy/compose.cluster.yml, its node configs and haproxy.cfg) is three files
 * that must agree (no Docker engine here): the YAML parses, both nodes mount one volume as their dataDir and share
 * one database secret under distinct node names, the address the nodes admit is HAProxy's, and HAProxy's servers are
 * the nodes' addresses and ports. `haproxy -c` of the same haproxy.cfg runs in test/interop/haproxy.test.ts.
 */
import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { validateConfig } from '../../src/config/load.js';
import { REPO_ROOT, tempDir } from '../helpers/fixtures.js';

const DEPLOY = join(REPO_ROOT, 'deploy');

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  volumes?: string[];
  secrets?: string[];
  ports?: string[];
  networks?: Record<string, { ipv4_address?: string }>;
}
interface Compose {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
  secrets: Record<string, { file: string }>;
}
interface NodeConfig {
  dataDir: string;
  database: { urlFile: string };
  cluster: { nodeName: string; roles: string[] };
  dicom: { port: number; allowedPeers: Array<{ aeTitle: string; host: string }>; maxAssociations: number; maxAssociationsPerPeer: number };
  hl7: { port: number; allowedHosts: string[] };
  http: { port: number };
}

// merge: the nodes share their settings through a `<<: *gateway` merge key, as docker compose reads it
const compose = parse(readFileSync(join(DEPLOY, 'compose.cluster.yml'), 'utf8'), { merge: true }) as Compose;
const address = (s: Service | undefined): string | undefined => s?.networks?.cluster?.ipv4_address;
const mountOf = (s: Service | undefined, target: string): string | undefined => s?.volumes?.map((v) => v.split(':')).find((p) => p[1] === target)?.[0];

describe('deploy/compose.cluster.yml', () => {
  const nodes = ['gw1', 'gw2'];
  const configs = nodes.map((n) => {
    const file = mountOf(compose.services[n], '/etc/pacs-ai-gateway/config.yaml');
    expect(file, `${n} mounts a config file`).to.be.a('string');
    return parse(readFileSync(join(DEPLOY, file as string), 'utf8')) as NodeConfig;
  });

  it('each node config passes the schema (with stand-ins for the two secret files compose mounts)', () => {
    const dir = tempDir('pag-compose-');
    const secrets: Record<string, string> = {
      '/run/secrets/gateway_db_url': 'postgres://gateway:secret@postgres:5432/gateway\n',
      '/run/secrets/gateway_http_token': 'a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5\n',
    };
    for (const [i, n] of nodes.entries()) {
      let text = readFileSync(join(DEPLOY, mountOf(compose.services[n], '/etc/pacs-ai-gateway/config.yaml') as string), 'utf8');
      for (const [path, content] of Object.entries(secrets)) {
        const local = join(dir, path.split('/').pop() as string);
        writeFileSync(local, content, { mode: 0o600 });
        text = text.replaceAll(path, local);
      }
      const r = validateConfig(parse(text), n);
      expect(r.ok ? [] : r.problems, n).to.deep.equal([]);
      expect(r.ok && r.config.cluster.nodeName).to.equal(nodes[i]);
      expect(r.ok && r.config.database?.url).to.equal('postgres://gateway:secret@postgres:5432/gateway');
    }
  });

  it('has two gateway nodes built from the Dockerfile, PostgreSQL 15 and HAProxy', () => {
    expect(Object.keys(compose.services).sort()).to.deep.equal(['gw1', 'gw2', 'haproxy', 'postgres']);
    expect(compose.services.postgres?.image).to.match(/^postgres:15(\.|$)/);
    expect(compose.services.haproxy?.image).to.match(/^haproxy:/);
    for (const n of nodes) expect(compose.services[n]?.build).to.deep.equal({ context: '..', dockerfile: 'Dockerfile' });
  });

  it('both nodes mount one volume as dataDir and share one database URL secret, under distinct node names', () => {
    const spools = nodes.map((n, i) => mountOf(compose.services[n], configs[i]?.dataDir ?? ''));
    expect(spools[0]).to.be.a('string');
    expect(spools[1]).to.equal(spools[0]);
    expect(compose.volumes).to.have.property(spools[0] as string);
    const urlFiles = configs.map((c) => c.database.urlFile);
    expect(urlFiles[1]).to.equal(urlFiles[0]);
    const secret = (urlFiles[0] ?? '').replace('/run/secrets/', '');
    for (const n of nodes) expect(compose.services[n]?.secrets).to.include(secret);
    expect(compose.secrets).to.have.property(secret);
    expect(configs.map((c) => c.cluster.nodeName)).to.deep.equal(nodes);
  });

  it('the nodes admit HAProxy (the address every sender arrives from), with no per-address limit below the node limit', () => {
    const proxy = address(compose.services.haproxy);
    expect(proxy).to.be.a('string');
    for (const c of configs) {
      expect(c.dicom.allowedPeers.map((p) => p.host)).to.deep.equal([proxy]);
      expect(c.hl7.allowedHosts).to.deep.equal([proxy]);
      expect(c.dicom.maxAssociationsPerPeer).to.equal(c.dicom.maxAssociations);
    }
  });

  it("haproxy.cfg balances over the nodes' addresses and ports and checks /readyz on their HTTP port", () => {
    const cfg = readFileSync(join(DEPLOY, mountOf(compose.services.haproxy, '/usr/local/etc/haproxy/haproxy.cfg') as string), 'utf8');
    const servers = [...cfg.matchAll(/^\s*server (\S+) (\S+):(\d+)/gm)].map((m) => `${m[1]} ${m[2]}:${m[3]}`);
    const expected = nodes.flatMap((n, i) => [`${n} ${address(compose.services[n])}:${configs[i]?.dicom.port}`, `${n} ${address(compose.services[n])}:${configs[i]?.hl7.port}`]);
    expect(servers.sort()).to.deep.equal(expected.sort());
    expect(cfg).to.match(/http-check send meth GET uri \/readyz/);
    const checkPort = /default-server check port (\d+)/.exec(cfg)?.[1];
    for (const c of configs) expect(Number(checkPort)).to.equal(c.http.port);
  });
});
