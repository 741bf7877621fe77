/**
 * Queue statistics (METRICS.md "Queues"): pure helpers for what SQL aggregates.
 *
 * An attempt is attributed to the 15-minute UTC interval in which it ENTERED (bucketStart). Each
 * attempt contributes one QueueCounters (classify); an interval's counters are the SUM of its
 * attempts' counters (MAX for maxWait, which ignores nulls like SQL), and derivedMetrics turns a
 * sum into the reported ratios. Counters add up, so 15-minute rows roll up exactly into 30 min,
 * hour, day, week and month in any IANA zone: every zone offset in use is a multiple of 15
 * minutes (+05:30, +05:45 included), so a local period is always a whole set of UTC buckets, DST
 * days of 23 or 25 hours included.
 *
 * Derived metrics are returned unrounded; rounding is presentation.
 */
import type { QueueAttempt } from './queue-attempts.reducer';

/** 15 minutes in milliseconds. */
export const BUCKET_MS = 15 * 60_000;

/** Start of the 15-minute UTC interval containing `date`. */
export function bucketStart(date: Date): Date {
  return new Date(Math.floor(date.getTime() / BUCKET_MS) * BUCKET_MS);
}

/** Tenant thresholds (METRICS.md defaults: 20 and 5). */
export interface QueueThresholds {
  slaSeconds: number;
  shortAbandonSeconds: number;
}

/** Additive counters of one attempt, or the sum over an interval. */
export interface QueueCounters {
  offered: number;
  answered: number;
  answeredWithinSla: number;
  abandoned: number;
  shortAbandoned: number;
  timedOut: number;
  callbacks: number;
  /** Sum of the waits of answered attempts whose wait is known. */
  sumAnswerWait: number;
  /** Answered attempts whose wait is known (the ASA denominator). */
  answeredWithWait: number;
  /** Longest known wait of any attempt that left; null when none. Aggregated with MAX, not SUM. */
  maxWait: number | null;
  /** Sum of the waits of (long) abandoned attempts whose wait is known. */
  sumAbandonWait: number;
  /** Abandoned attempts whose wait is known. */
  abandonedWithWait: number;
  sumTalk: number;
  answeredWithTalk: number;
  /** talk + hold + wrap-up of answered attempts whose talk is known. */
  sumHandle: number;
  answeredWithHandle: number;
}

/**
 * What derivedMetrics reads. `answeredWithWait` / `abandonedWithWait` default to answered /
 * abandoned: every attempt that left has a known wait unless a vendor summary omitted the times.
 */
export type DerivedMetricsInput = Omit<QueueCounters, 'answeredWithWait' | 'abandonedWithWait'> &
  Partial<Pick<QueueCounters, 'answeredWithWait' | 'abandonedWithWait'>>;

/** The reported queue metrics (METRICS.md); null when the denominator is 0. */
export interface DerivedQueueMetrics {
  /** answeredWithinSla / (answered + abandoned + timedOut): short abandons and callbacks excluded. */
  serviceLevel: number | null;
  /** abandoned / (offered − shortAbandoned). */
  abandonRate: number | null;
  /** ASA: mean wait of answered attempts. */
  averageWaitSeconds: number | null;
  /** Longest wait of any attempt. */
  maxWaitSeconds: number | null;
  /** Mean wait of abandoned (long) attempts. */
  averageAbandonWaitSeconds: number | null;
  /** Mean talk of answered attempts. */
  averageTalkSeconds: number | null;
  /** AHT: mean talk + hold + wrap-up of answered attempts. */
  averageHandleSeconds: number | null;
}

/** Counters that add nothing. */
export function emptyCounters(): QueueCounters {
  return {
    offered: 0,
    answered: 0,
    answeredWithinSla: 0,
    abandoned: 0,
    shortAbandoned: 0,
    timedOut: 0,
    callbacks: 0,
    sumAnswerWait: 0,
    answeredWithWait: 0,
    maxWait: null,
    sumAbandonWait: 0,
    abandonedWithWait: 0,
    sumTalk: 0,
    answeredWithTalk: 0,
    sumHandle: 0,
    answeredWithHandle: 0,
  };
}

/** The sum of two counters (maxWait: the larger). */
export function addCounters(a: QueueCounters, b: QueueCounters): QueueCounters {
  return {
    offered: a.offered + b.offered,
    answered: a.answered + b.answered,
    answeredWithinSla: a.answeredWithinSla + b.answeredWithinSla,
    abandoned: a.abandoned + b.abandoned,
    shortAbandoned: a.shortAbandoned + b.shortAbandoned,
    timedOut: a.timedOut + b.timedOut,
    callbacks: a.callbacks + b.callbacks,
    sumAnswerWait: a.sumAnswerWait + b.sumAnswerWait,
    answeredWithWait: a.answeredWithWait + b.answeredWithWait,
    maxWait: a.maxWait === null ? b.maxWait : b.maxWait === null ? a.maxWait : Math.max(a.maxWait, b.maxWait),
    sumAbandonWait: a.sumAbandonWait + b.sumAbandonWait,
    abandonedWithWait: a.abandonedWithWait + b.abandonedWithWait,
    sumTalk: a.sumTalk + b.sumTalk,
    answeredWithTalk: a.answeredWithTalk + b.answeredWithTalk,
    sumHandle: a.sumHandle + b.sumHandle,
    answeredWithHandle: a.answeredWithHandle + b.answeredWithHandle,
  };
}

/** An attempt plus what only the agent layer knows (hold and wrap-up seconds of the answering agent). */
export type ClassifiableAttempt = Pick<QueueAttempt, 'outcome' | 'waitSeconds' | 'talkSeconds'> & {
  /** Hold while talking. Pass it only when talkSeconds excludes hold: the PortSIP and VoIPcloud figures include it. */
  holdSeconds?: number | null;
  /** After-call work (PortSIP WRAP_UP agent state), when the agent layer reports it. */
  wrapUpSeconds?: number | null;
};

/**
 * The counters one attempt adds to the interval it entered in.
 * - offered: every attempt, WAITING included (it entered).
 * - answered; answeredWithinSla when wait <= slaSeconds (exactly at the threshold is within).
 * - ABANDONED: shortAbandoned when wait < shortAbandonSeconds, else abandoned (exactly at the
 *   threshold is abandoned; an unknown wait cannot be shown to be short, so it is abandoned).
 * - timedOut, callbacks by outcome. An unknown wait counts nowhere in the wait sums, and an
 *   answered attempt with an unknown wait is not within SLA.
 * - handle = talk + hold + wrap-up (hold and wrap-up 0 when unknown), for answered attempts whose
 *   talk is known.
 */
export function classify(attempt: ClassifiableAttempt, thresholds: QueueThresholds): QueueCounters {
  const c = emptyCounters();
  c.offered = 1;
  const wait = attempt.waitSeconds;
  if (attempt.outcome !== 'WAITING') c.maxWait = wait;
  switch (attempt.outcome) {
    case 'ANSWERED': {
      c.answered = 1;
      if (wait !== null) {
        c.sumAnswerWait = wait;
        c.answeredWithWait = 1;
        if (wait <= thresholds.slaSeconds) c.answeredWithinSla = 1;
      }
      const talk = attempt.talkSeconds;
      if (talk !== null) {
        c.sumTalk = talk;
        c.answeredWithTalk = 1;
        c.sumHandle = talk + (attempt.holdSeconds ?? 0) + (attempt.wrapUpSeconds ?? 0);
        c.answeredWithHandle = 1;
      }
      break;
    }
    case 'ABANDONED':
      if (wait !== null && wait < thresholds.shortAbandonSeconds) {
        c.shortAbandoned = 1;
      } else {
        c.abandoned = 1;
        if (wait !== null) {
          c.sumAbandonWait = wait;
          c.abandonedWithWait = 1;
        }
      }
      break;
    case 'TIMED_OUT':
      c.timedOut = 1;
      break;
    case 'CALLBACK':
      c.callbacks = 1;
      break;
    case 'WAITING':
      break;
  }
  return c;
}

/** The reported metrics of summed counters, exactly as METRICS.md defines them. */
export function derivedMetrics(c: DerivedMetricsInput): DerivedQueueMetrics {
  return {
    serviceLevel: ratio(c.answeredWithinSla, c.answered + c.abandoned + c.timedOut),
    abandonRate: ratio(c.abandoned, c.offered - c.shortAbandoned),
    averageWaitSeconds: ratio(c.sumAnswerWait, c.answeredWithWait ?? c.answered),
    maxWaitSeconds: c.maxWait,
    averageAbandonWaitSeconds: ratio(c.sumAbandonWait, c.abandonedWithWait ?? c.abandoned),
    averageTalkSeconds: ratio(c.sumTalk, c.answeredWithTalk),
    averageHandleSeconds: ratio(c.sumHandle, c.answeredWithHandle),
  };
}

function ratio(numerator: number, denominator: number): number | null {
  return denominator > 0 ? numerator / denominator : null;
}
