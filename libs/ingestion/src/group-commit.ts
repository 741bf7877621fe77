import { AppendOutcome, AppendResult, NewEvent } from '@app/event-store';

/** Appends one batch in one transaction (the event store's `append`). */
export type AppendFn = (events: NewEvent[]) => Promise<AppendResult>;

export interface GroupCommitOptions {
  /** Longest a request waits for others to share its transaction (default 2 ms). */
  maxDelayMs?: number;
  /** Most events in one transaction (default 500); a larger request still goes alone. */
  maxEvents?: number;
  /** Transactions in flight at once (default 4); more requests wait and join the next group. */
  maxInFlight?: number;
  /** Called after each committed group, e.g. to ring the projection doorbell. */
  onCommitted?: (result: { events: NewEvent[]; result: AppendResult; ms: number }) => void;
}

interface Waiter {
  events: NewEvent[];
  resolve: (r: AppendResult) => void;
  reject: (e: unknown) => void;
}

// Connection loss and server shutdown fail every request alike; anything else may be one
// request's bad data, so the group is retried request by request to isolate it.
const TRANSIENT = /^(08|53|57|58)/;
const isTransient = (e: unknown) => {
  const code = (e as { code?: unknown })?.code;
  return typeof code !== 'string' || TRANSIENT.test(code) || /^E[A-Z]+$/.test(code);
};

/**
 * Group commit: concurrent requests share append transactions. Each request resolves with its
 * own outcomes only once the shared transaction has committed; if it fails, every request in
 * it is rejected (and answered 503), so nothing is acknowledged that is not stored.
 */
export class GroupCommitter {
  private readonly maxDelayMs: number;
  private readonly maxEvents: number;
  private readonly maxInFlight: number;
  private pending: Waiter[] = [];
  private pendingEvents = 0;
  private inFlight = 0;
  private timer: NodeJS.Timeout | undefined;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly append: AppendFn,
    private readonly options: GroupCommitOptions = {},
  ) {
    this.maxDelayMs = options.maxDelayMs ?? 2;
    this.maxEvents = options.maxEvents ?? 500;
    this.maxInFlight = options.maxInFlight ?? 4;
  }

  /** Appends `events` in a shared transaction; resolves with this request's outcomes after commit. */
  submit(events: NewEvent[]): Promise<AppendResult> {
    if (events.length === 0) return Promise.resolve({ outcomes: [], accepted: 0, duplicates: 0 });
    return new Promise<AppendResult>((resolve, reject) => {
      this.pending.push({ events, resolve, reject });
      this.pendingEvents += events.length;
      if (this.pendingEvents >= this.maxEvents) this.flush();
      else if (!this.timer) this.timer = setTimeout(() => this.flush(), this.maxDelayMs);
    });
  }

  /** Resolves once nothing is pending or in flight (for a clean shutdown). */
  async drain(): Promise<void> {
    if (this.pending.length === 0 && this.inFlight === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    while (this.pending.length > 0 && this.inFlight < this.maxInFlight) {
      const group: Waiter[] = [];
      let count = 0;
      while (
        this.pending.length > 0 &&
        (group.length === 0 || count + this.pending[0].events.length <= this.maxEvents)
      ) {
        const w = this.pending.shift()!;
        group.push(w);
        count += w.events.length;
      }
      this.pendingEvents -= count;
      this.inFlight++;
      void this.commit(group).finally(() => {
        this.inFlight--;
        // Whoever queued up meanwhile has waited long enough: send them now.
        if (this.pending.length > 0) this.flush();
        else if (this.inFlight === 0) this.idleWaiters.splice(0).forEach((r) => r());
      });
    }
  }

  private async commit(group: Waiter[]): Promise<void> {
    const events = group.length === 1 ? group[0].events : group.flatMap((w) => w.events);
    const started = performance.now();
    try {
      const result = await this.append(events);
      this.options.onCommitted?.({ events, result, ms: performance.now() - started });
      let offset = 0;
      for (const w of group) {
        const outcomes = result.outcomes.slice(offset, offset + w.events.length);
        offset += w.events.length;
        w.resolve(summarise(outcomes));
      }
    } catch (error) {
      if (group.length > 1 && !isTransient(error)) {
        await Promise.all(group.map((w) => this.commit([w])));
        return;
      }
      for (const w of group) w.reject(error);
    }
  }
}

function summarise(outcomes: AppendOutcome[]): AppendResult {
  const accepted = outcomes.filter((o) => o.status === 'stored').length;
  return { outcomes, accepted, duplicates: outcomes.length - accepted };
}
