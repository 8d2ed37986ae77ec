/**
 * Group commit for directory fsyncs: callers that rename into the same directory while an fsync of it is in
 * flight share the next one. Each caller still waits for an fsync that started after its rename.
 */
import { open } from 'node:fs/promises';

interface DirState {
  running: Promise<void> | undefined;
  next: Promise<void> | undefined;
}

export class DirSyncer {
  private readonly dirs = new Map<string, DirState>();

  sync(dir: string): Promise<void> {
    let state = this.dirs.get(dir);
    if (state === undefined) {
      state = { running: undefined, next: undefined };
      this.dirs.set(dir, state);
    }
    if (state.running === undefined) {
      state.running = this.run(dir, state);
      return state.running;
    }
    // An fsync is in flight but may have started before our rename: wait for the one after it.
    state.next ??= state.running.catch(() => {}).then(() => {
      const s = state as DirState;
      s.next = undefined;
      s.running = this.run(dir, s);
      return s.running;
    });
    return state.next;
  }

  private async run(dir: string, state: DirState): Promise<void> {
    try {
      const handle = await open(dir, 'r');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    } finally {
      state.running = undefined;
      if (state.next === undefined) this.dirs.delete(dir);
    }
  }
}
