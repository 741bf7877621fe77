import { QUEUE_STATS_NUMBERS, QueueStatsRowReader } from './queue-stats.rows';

/** A number list as the query prints it, from named values (max_wait '' is a NULL). */
function numberList(values: Partial<Record<(typeof QUEUE_STATS_NUMBERS)[number], number | ''>>): string {
  return QUEUE_STATS_NUMBERS.map((name) => values[name] ?? 0).join(',');
}

const HOUR = Date.UTC(2026, 2, 2, 4, 30);

describe('QueueStatsRowReader and QueueStatsRow', () => {
  it('reads every number into its field and computes the ratios from the sums', () => {
    const reader = new QueueStatsRowReader();
    reader.add(
      'Sales, "EU"',
      numberList({
        interval_ms: HOUR,
        offered: 14,
        answered: 7,
        answered_within_sla: 5,
        abandoned: 3,
        short_abandoned: 2,
        timed_out: 1,
        callbacks: 1,
        sum_answer_wait: 117,
        answered_with_wait: 7,
        max_wait: 120,
        sum_abandon_wait: 80,
        abandoned_with_wait: 3,
        sum_talk: 560,
        answered_with_talk: 7,
        sum_handle: 630,
        answered_with_handle: 7,
      }),
    );
    expect(reader.rows.map((r) => r.toJSON())).toEqual([
      {
        queue: 'Sales, "EU"',
        intervalStart: new Date(HOUR),
        offered: 14,
        answered: 7,
        answeredWithinSla: 5,
        abandoned: 3,
        shortAbandoned: 2,
        timedOut: 1,
        callbacks: 1,
        serviceLevel: 5 / 11,
        abandonRate: 3 / 12,
        averageWaitSeconds: 117 / 7,
        maxWaitSeconds: 120,
        averageAbandonWaitSeconds: 80 / 3,
        averageTalkSeconds: 80,
        averageHandleSeconds: 90,
      },
    ]);
    const [row] = reader.rows;
    expect([row.offered, row.serviceLevel, row.averageHandleSeconds]).toEqual([14, 5 / 11, 90]);
  });

  it('gives null for a NULL max wait and for every ratio over nothing', () => {
    const reader = new QueueStatsRowReader();
    reader.add('8000', numberList({ interval_ms: HOUR, offered: 1, short_abandoned: 1, max_wait: '' }));
    const row = reader.rows[0].toJSON();
    expect(row).toMatchObject({
      offered: 1,
      maxWaitSeconds: null,
      serviceLevel: null,
      abandonRate: null,
      averageWaitSeconds: null,
      averageAbandonWaitSeconds: null,
      averageTalkSeconds: null,
      averageHandleSeconds: null,
    });
  });

  it('keeps rows apart across blocks and shares one Date per interval', () => {
    const reader = new QueueStatsRowReader();
    const n = 2500; // more than two blocks of 1024 rows
    for (let i = 0; i < n; i++)
      reader.add(`Q${i % 50}`, numberList({ interval_ms: HOUR + Math.floor(i / 50) * 3_600_000, offered: i }));
    expect(reader.rows).toHaveLength(n);
    expect(reader.rows.every((r, i) => r.offered === i && r.queue === `Q${i % 50}`)).toBe(true);
    expect(reader.rows[49].intervalStart).toBe(reader.rows[0].intervalStart);
    expect(reader.rows[50].intervalStart).not.toBe(reader.rows[49].intervalStart);
    expect(reader.rows[2499].intervalStart.getTime()).toBe(HOUR + 49 * 3_600_000);
  });

  it('prints as the plain object in JSON and is read-only', () => {
    const reader = new QueueStatsRowReader();
    reader.add('8000', numberList({ interval_ms: HOUR, offered: 2, answered: 2, answered_within_sla: 1 }));
    const row = reader.rows[0];
    expect(JSON.parse(JSON.stringify(row))).toMatchObject({
      queue: '8000',
      intervalStart: new Date(HOUR).toISOString(),
      offered: 2,
      serviceLevel: 0.5,
    });
    expect(() => {
      (row as unknown as { offered: number }).offered = 3;
    }).toThrow(TypeError);
  });

  it('refuses a row with too few or too many numbers', () => {
    const reader = new QueueStatsRowReader();
    expect(() => reader.add('8000', '1,2,3')).toThrow(`a row without ${QUEUE_STATS_NUMBERS.length} numbers`);
    expect(() => reader.add('8000', `${numberList({})},1`)).toThrow(`more than ${QUEUE_STATS_NUMBERS.length} numbers`);
  });
});
