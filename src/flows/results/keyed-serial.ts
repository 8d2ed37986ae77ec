/**
 * Runs tasks one at a time per key, in call order (tasks of different keys run concurrently). The result writers
 * read a study's state and queue a message from it across awaits: two changes of one study must not interleave,
 * or an older state's message could be queued after a newer one's.
 */
export function serialPerKey(): <T>(key: string, task: () => Promise<T>) => Promise<T> {
  const tails = new Map<string, Promise<unknown>>();
  return (key, task) => {
    const previous = tails.get(key) ?? Promise.resolve();
    const run = previous.then(task, task);
    const tail = run.catch(() => undefined);
    tails.set(key, tail);
    void tail.then(() => {
      if (tails.get(key) === tail) tails.delete(key);
    });
    return run;
  };
}
