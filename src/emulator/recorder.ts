/** In-memory recorder of every exchange both emulator origins see. */
import type { Exchange, Recorder } from './types.ts';

export const BODY_LIMIT = 64 * 1024;

export function truncate(text: string): string {
  return text.length > BODY_LIMIT ? text.slice(0, BODY_LIMIT) : text;
}

interface Waiter {
  predicate: (e: Exchange) => boolean;
  resolve: (e: Exchange | null) => void;
  timer: NodeJS.Timeout;
}

export class MemoryRecorder implements Recorder {
  #items: Exchange[] = [];
  #seq = 0;
  #waiters = new Set<Waiter>();

  /** Assigns `seq` and stores the exchange; wakes matching waiters. */
  add(e: Omit<Exchange, 'seq'>): Exchange {
    const full: Exchange = { ...e, seq: ++this.#seq };
    this.#items.push(full);
    for (const w of [...this.#waiters]) {
      let hit = false;
      try {
        hit = w.predicate(full);
      } catch {
        hit = false;
      }
      if (hit) {
        clearTimeout(w.timer);
        this.#waiters.delete(w);
        w.resolve(full);
      }
    }
    return full;
  }

  all(): readonly Exchange[] {
    return this.#items;
  }
  forFlow(flowId: string): Exchange[] {
    return this.#items.filter((e) => e.flowId === flowId);
  }
  since(seq: number): Exchange[] {
    return this.#items.filter((e) => e.seq > seq);
  }
  lastSeq(): number {
    return this.#seq;
  }
  waitFor(predicate: (e: Exchange) => boolean, timeoutMs: number): Promise<Exchange | null> {
    return new Promise((resolve) => {
      const w: Waiter = {
        predicate,
        resolve,
        timer: setTimeout(
          () => {
            this.#waiters.delete(w);
            resolve(null);
          },
          Math.max(0, Math.min(timeoutMs, 10 * 60_000)),
        ),
      };
      w.timer.unref?.();
      this.#waiters.add(w);
    });
  }
  clear(): void {
    this.#items = [];
  }
  /** Resolves pending waiters with null (on stop). */
  close(): void {
    for (const w of this.#waiters) {
      clearTimeout(w.timer);
      w.resolve(null);
    }
    this.#waiters.clear();
  }
}
