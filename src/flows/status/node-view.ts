/** The node register as the API, the status page and the CLI show it: each node up, stopped or gone. */
import type { ClusterNode, NodeRegister } from '../../db/index.js';
import type { NodeStatus } from '../../http/index.js';

/** Heartbeats a node may miss before it is shown as gone: one late write is not an outage. */
const MISSED_BEATS = 3;

export function nodeStatus(node: ClusterNode, heartbeatMs: number, nowMs: number): NodeStatus {
  const state = node.stoppedAt !== null ? 'stopped' : nowMs - Date.parse(node.heartbeatAt) > MISSED_BEATS * heartbeatMs ? 'gone' : 'up';
  return { ...node, roles: [...node.roles], state };
}

export async function listNodeStatus(register: Pick<NodeRegister, 'list'>, heartbeatMs: number, nowMs: number = Date.now()): Promise<NodeStatus[]> {
  return (await register.list()).map((n) => nodeStatus(n, heartbeatMs, nowMs));
}
