/**
 * This node in the node register: registered at start, a heartbeat every cluster.heartbeatSeconds, marked stopped at
 * a clean stop. A heartbeat that cannot be written (the database away) is logged once per outage and tried again at
 * the next beat; it never stops the node.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { NodeRegister } from '../db/index.js';
import { GatewayError, describeError } from '../errors.js';
import { nodeStatus } from '../flows/status/index.js';
import type { Logger } from '../log.js';

const VERSION = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export class NodePresence {
  private timer: NodeJS.Timeout | undefined;
  private failing = false;

  constructor(
    private readonly o: { register: NodeRegister; name: string; roles: readonly string[]; heartbeatMs: number; log: Logger },
  ) {}

  /**
   * Registers this node. Refuses to start when another host runs under the same name with a live heartbeat: two
   * nodes sharing a name would share leases, and each would take the other's work back as its own.
   */
  async start(): Promise<void> {
    const now = Date.now();
    // A name is free once the status page would call its node gone (missed beats) or stopped.
    const twin = (await this.o.register.list()).find((n) => n.name === this.o.name && n.host !== hostname() && nodeStatus(n, this.o.heartbeatMs, now).state === 'up');
    if (twin !== undefined) {
      throw new GatewayError('GW_ERR_CONFIG_INVALID', `cluster.nodeName "${this.o.name}" is in use by a running node on ${twin.host} (pid ${twin.pid}, heartbeat ${twin.heartbeatAt}): give each node its own name`, {
        context: { node: this.o.name, otherHost: twin.host },
      });
    }
    await this.o.register.register({ name: this.o.name, roles: this.o.roles, version: VERSION, host: hostname(), pid: process.pid }, Date.now());
    this.timer = setInterval(() => void this.beat(), this.o.heartbeatMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer === undefined) return;
    clearInterval(this.timer);
    this.timer = undefined;
    await this.o.register.stopped(this.o.name, Date.now()).catch((err: unknown) => this.o.log.warn('node register not told of this stop', { err: describeError(err) }));
  }

  private async beat(): Promise<void> {
    try {
      await this.o.register.heartbeat(this.o.name, Date.now());
      if (this.failing) this.o.log.info('node heartbeat written again', { node: this.o.name });
      this.failing = false;
    } catch (err) {
      if (!this.failing) this.o.log.warn('node heartbeat not written: the other nodes will see this one as gone until it is', { node: this.o.name, err: describeError(err) });
      this.failing = true;
    }
  }
}
