/**
 * This node in the node register: registered at start, a heartbeat every cluster.heartbeatSeconds, marked stopped at
 * a clean stop. A heartbeat that cannot be written (the database away) is logged once per outage and tried again at
 * the next beat; it never stops the node.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { NodeRegister } from '../db/index.js';
import { describeError } from '../errors.js';
import type { Logger } from '../log.js';

const VERSION = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export class NodePresence {
  private timer: NodeJS.Timeout | undefined;
  private failing = false;

  constructor(
    private readonly o: { register: NodeRegister; name: string; roles: readonly string[]; heartbeatMs: number; log: Logger },
  ) {}

  async start(): Promise<void> {
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
