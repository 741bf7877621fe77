import { readNumberList } from './number-list';

/** One row of `QueueIntervalStats` (CONTRACT.md). */
export interface QueueIntervalStatsRow {
  readonly queue: string;
  readonly intervalStart: Date;
  readonly offered: number;
  readonly answered: number;
  readonly answeredWithinSla: number;
  readonly abandoned: number;
  readonly shortAbandoned: number;
  readonly timedOut: number;
  readonly callbacks: number;
  readonly serviceLevel: number | null;
  readonly abandonRate: number | null;
  readonly averageWaitSeconds: number | null;
  readonly maxWaitSeconds: number | null;
  readonly averageAbandonWaitSeconds: number | null;
  readonly averageTalkSeconds: number | null;
  readonly averageHandleSeconds: number | null;
}

/**
 * The numbers of a queue stats answer row, in this order: the interval's start (epoch ms), the
 * counts, then each average's sum and how many it is over. The query prints them in this order
 * (QUEUE_STATS_NUMBERS); METRICS.md's ratios are computed from the sums, never averaged averages.
 */
export const QUEUE_STATS_NUMBERS = [
  'interval_ms',
  'offered',
  'answered',
  'answered_within_sla',
  'abandoned',
  'short_abandoned',
  'timed_out',
  'callbacks',
  'sum_answer_wait',
  'answered_with_wait',
  'max_wait',
  'sum_abandon_wait',
  'abandoned_with_wait',
  'sum_talk',
  'answered_with_talk',
  'sum_handle',
  'answered_with_handle',
] as const;
const NUMBERS = QUEUE_STATS_NUMBERS.length;
const index = (name: (typeof QUEUE_STATS_NUMBERS)[number]): number => QUEUE_STATS_NUMBERS.indexOf(name);
const MS = index('interval_ms');
const OFFERED = index('offered');
const ANSWERED = index('answered');
const WITHIN_SLA = index('answered_within_sla');
const ABANDONED = index('abandoned');
const SHORT_ABANDONED = index('short_abandoned');
const TIMED_OUT = index('timed_out');
const CALLBACKS = index('callbacks');
const SUM_ANSWER_WAIT = index('sum_answer_wait');
const ANSWERED_WITH_WAIT = index('answered_with_wait');
const MAX_WAIT = index('max_wait');
const SUM_ABANDON_WAIT = index('sum_abandon_wait');
const ABANDONED_WITH_WAIT = index('abandoned_with_wait');
const SUM_TALK = index('sum_talk');
const ANSWERED_WITH_TALK = index('answered_with_talk');
const SUM_HANDLE = index('sum_handle');
const ANSWERED_WITH_HANDLE = index('answered_with_handle');
/** Rows per shared block of numbers. */
const BLOCK_ROWS = 1024;

const ratio = (n: number, d: number): number | null => (d > 0 ? n / d : null);
const orNull = (n: number): number | null => (Number.isNaN(n) ? null : n);

/**
 * A row of a queue stats answer: a read-only view of its numbers, which it shares in one
 * Float64Array with up to a thousand other rows. A month of 50 queues by hour is some 20,000
 * rows; as plain objects of sixteen numbers each they cost V8 more to allocate and collect than
 * reading them from PostgreSQL did, as views they are one small object each. Fields are getters
 * (ratios are computed when read, from the sums), so they are not the row's own keys: to spread a
 * row or compare it with `toEqual`, use `toJSON()`, the plain object (also what `JSON.stringify`
 * prints).
 */
export class QueueStatsRow implements QueueIntervalStatsRow {
  readonly #n: Float64Array;
  readonly #at: number;

  constructor(
    readonly queue: string,
    readonly intervalStart: Date,
    numbers: Float64Array,
    at: number,
  ) {
    this.#n = numbers;
    this.#at = at;
  }

  get offered(): number {
    return this.#n[this.#at + OFFERED];
  }
  get answered(): number {
    return this.#n[this.#at + ANSWERED];
  }
  get answeredWithinSla(): number {
    return this.#n[this.#at + WITHIN_SLA];
  }
  get abandoned(): number {
    return this.#n[this.#at + ABANDONED];
  }
  get shortAbandoned(): number {
    return this.#n[this.#at + SHORT_ABANDONED];
  }
  get timedOut(): number {
    return this.#n[this.#at + TIMED_OUT];
  }
  get callbacks(): number {
    return this.#n[this.#at + CALLBACKS];
  }
  get serviceLevel(): number | null {
    const n = this.#n;
    const at = this.#at;
    return ratio(n[at + WITHIN_SLA], n[at + ANSWERED] + n[at + ABANDONED] + n[at + TIMED_OUT]);
  }
  get abandonRate(): number | null {
    const n = this.#n;
    const at = this.#at;
    return ratio(n[at + ABANDONED], n[at + OFFERED] - n[at + SHORT_ABANDONED]);
  }
  get averageWaitSeconds(): number | null {
    return ratio(this.#n[this.#at + SUM_ANSWER_WAIT], this.#n[this.#at + ANSWERED_WITH_WAIT]);
  }
  get maxWaitSeconds(): number | null {
    return orNull(this.#n[this.#at + MAX_WAIT]);
  }
  get averageAbandonWaitSeconds(): number | null {
    return ratio(this.#n[this.#at + SUM_ABANDON_WAIT], this.#n[this.#at + ABANDONED_WITH_WAIT]);
  }
  get averageTalkSeconds(): number | null {
    return ratio(this.#n[this.#at + SUM_TALK], this.#n[this.#at + ANSWERED_WITH_TALK]);
  }
  get averageHandleSeconds(): number | null {
    return ratio(this.#n[this.#at + SUM_HANDLE], this.#n[this.#at + ANSWERED_WITH_HANDLE]);
  }

  /** The row as a plain object (what `JSON.stringify` prints). */
  toJSON(): QueueIntervalStatsRow {
    return {
      queue: this.queue,
      intervalStart: this.intervalStart,
      offered: this.offered,
      answered: this.answered,
      answeredWithinSla: this.answeredWithinSla,
      abandoned: this.abandoned,
      shortAbandoned: this.shortAbandoned,
      timedOut: this.timedOut,
      callbacks: this.callbacks,
      serviceLevel: this.serviceLevel,
      abandonRate: this.abandonRate,
      averageWaitSeconds: this.averageWaitSeconds,
      maxWaitSeconds: this.maxWaitSeconds,
      averageAbandonWaitSeconds: this.averageAbandonWaitSeconds,
      averageTalkSeconds: this.averageTalkSeconds,
      averageHandleSeconds: this.averageHandleSeconds,
    };
  }
}

/**
 * Collects the rows of an answer from (queue, number list) pairs as the query prints them, in
 * answer order: numbers into shared blocks, and one Date per interval (rows of an interval share
 * it — treat it as read-only).
 */
export class QueueStatsRowReader {
  readonly rows: QueueStatsRow[] = [];
  #block = new Float64Array(0);
  #used = 0;
  #intervalStart = new Date(NaN);

  /** Adds the row of `queue` whose numbers are `numberList` (QUEUE_STATS_NUMBERS, comma-separated). */
  add(queue: string, numberList: string): void {
    if (this.#used === this.#block.length) {
      this.#block = new Float64Array(BLOCK_ROWS * NUMBERS);
      this.#used = 0;
    }
    const at = this.#used;
    if (readNumberList(numberList, this.#block, at, NUMBERS) !== NUMBERS)
      throw new Error(`queueStats: a row without ${NUMBERS} numbers`);
    this.#used += NUMBERS;
    const ms = this.#block[at + MS];
    if (ms !== this.#intervalStart.getTime()) this.#intervalStart = new Date(ms);
    this.rows.push(new QueueStatsRow(queue, this.#intervalStart, this.#block, at));
  }
}
