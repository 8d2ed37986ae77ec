/** Message control ids (MSH-10) for what we send: unique per process and across restarts, never a timestamp. */
import { randomBytes } from 'node:crypto';

/** Hands out MSH-10 values. */
export interface ControlIdGenerator {
  next(): string;
}

/**
 * A random 40-bit prefix per generator and a counter: ids never repeat within a process, two processes collide
 * with odds of 2^-40, and the whole id stays within the 20 characters MSH-10 allows before v2.7.
 */
export function createControlIdGenerator(prefix = `G${randomBytes(5).toString('hex').toUpperCase()}`): ControlIdGenerator {
  let counter = 0;
  return {
    next(): string {
      counter += 1;
      return `${prefix}${counter.toString(36).toUpperCase().padStart(4, '0')}`;
    },
  };
}
