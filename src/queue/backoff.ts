/** Retry timing: exponential back-off with full jitter, capped, so a dead peer is never hammered in a flood. */

export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
  /** Attempts after which an item is given up (dead letter / failed job). */
  maxAttempts: number;
}

/**
 * Delay before attempt `attempt + 1`, given `attempt` attempts so far (≥ 1): uniform in
 * [cap/2, cap] with cap = min(maxMs, baseMs · 2^(attempt−1)). Half the cap is kept so retries never bunch at 0.
 */
export function backoffDelayMs(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const cap = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(cap / 2 + random() * (cap / 2));
}

/** When to retry after a failure, or undefined when the item should give up. */
export function retryAt(nowMs: number, attempts: number, retryable: boolean, policy: BackoffPolicy, random?: () => number): number | undefined {
  if (!retryable || attempts >= policy.maxAttempts) return undefined;
  return nowMs + backoffDelayMs(attempts, policy, random);
}
