import { ReportInputError } from '@app/reporting';
import { ExportRequestInput, exportPeriod, validExportRequest } from './export-request';

const RUN_ID = '6f1c2a4e-8b3d-4c5e-9f70-0a1b2c3d4e5f';

function inputError(input: ExportRequestInput, schedule = false): { field: string; message: string } {
  try {
    validExportRequest(input, { schedule });
  } catch (error) {
    expect(error).toBeInstanceOf(ReportInputError);
    return { field: (error as ReportInputError).field, message: (error as Error).message };
  }
  throw new Error('expected a ReportInputError');
}

describe('validExportRequest', () => {
  it('normalises a CALLS request: dates to ISO, filter without its period, gzip off', () => {
    expect(
      validExportRequest({
        report: 'CALLS',
        from: '2026-03-01T00:00:00+11:00',
        to: new Date('2026-03-02T00:00:00Z'),
        timezone: 'Australia/Sydney',
        filter: { direction: 'INBOUND', queue: ' 8000 ', number: '+61290000000' },
      }),
    ).toEqual({
      report: 'CALLS',
      from: '2026-02-28T13:00:00.000Z',
      to: '2026-03-02T00:00:00.000Z',
      range: null,
      timezone: 'Australia/Sydney',
      granularity: null,
      filter: { direction: 'INBOUND', queue: '8000', number: '+61290000000' },
      queues: null,
      agents: null,
      reconciliationRunId: null,
      gzip: false,
    });
  });

  it('keeps a relative range unresolved, and the report’s own parameters', () => {
    expect(
      validExportRequest(
        { report: 'QUEUE_STATS', range: 'PREVIOUS_DAY', granularity: 'HOUR', queues: ['8000'], gzip: true },
        { schedule: true },
      ),
    ).toMatchObject({ range: 'PREVIOUS_DAY', from: null, to: null, granularity: 'HOUR', queues: ['8000'], gzip: true });
    expect(validExportRequest({ report: 'RECONCILIATION', reconciliationRunId: RUN_ID.toUpperCase() })).toMatchObject({
      reconciliationRunId: RUN_ID,
      from: null,
      range: null,
    });
  });

  it.each<[string, ExportRequestInput, string, string]>([
    [
      'unknown report',
      { report: 'INVOICES' },
      'report',
      'report must be one of CALLS, QUEUE_STATS, AGENT_STATS, AGENT_TIMELINE, RECONCILIATION',
    ],
    ['no period', { report: 'CALLS' }, 'from', 'from and to (or range) are required'],
    ['from only', { report: 'CALLS', from: '2026-03-01T00:00:00Z' }, 'to', 'to is required with from'],
    [
      'both kinds of period',
      { report: 'CALLS', from: '2026-03-01T00:00:00Z', to: '2026-03-02T00:00:00Z', range: 'PREVIOUS_DAY' },
      'range',
      'give either from and to, or range, not both',
    ],
    [
      'from after to',
      { report: 'CALLS', from: '2026-03-02T00:00:00Z', to: '2026-03-01T00:00:00Z' },
      'to',
      'from must be before to',
    ],
    [
      'a date without offset',
      { report: 'CALLS', from: '2026-03-01', to: '2026-03-02T00:00:00Z' },
      'from',
      'from is not a valid date (ISO 8601 with offset)',
    ],
    [
      'bad range',
      { report: 'CALLS', range: 'YESTERDAY' },
      'range',
      'range must be one of PREVIOUS_HOUR, PREVIOUS_DAY, PREVIOUS_WEEK, PREVIOUS_MONTH',
    ],
    [
      'bad zone',
      { report: 'CALLS', range: 'PREVIOUS_DAY', timezone: 'Mars/Olympus' },
      'timezone',
      'timezone "Mars/Olympus" is not an IANA time zone (e.g. Europe/London)',
    ],
    [
      'stats without granularity',
      { report: 'AGENT_STATS', range: 'PREVIOUS_DAY' },
      'granularity',
      'a AGENT_STATS export needs granularity',
    ],
    [
      'bad granularity',
      { report: 'QUEUE_STATS', range: 'PREVIOUS_DAY', granularity: 'YEAR' },
      'granularity',
      'granularity must be one of FIFTEEN_MINUTES, THIRTY_MINUTES, HOUR, DAY, WEEK, MONTH',
    ],
    [
      'granularity for calls',
      { report: 'CALLS', range: 'PREVIOUS_DAY', granularity: 'HOUR' },
      'granularity',
      'granularity applies to QUEUE_STATS and AGENT_STATS exports only, not CALLS',
    ],
    [
      'filter for stats',
      { report: 'QUEUE_STATS', range: 'PREVIOUS_DAY', granularity: 'DAY', filter: {} },
      'filter',
      'filter applies to CALLS exports only, not QUEUE_STATS',
    ],
    [
      'a period in the filter',
      { report: 'CALLS', range: 'PREVIOUS_DAY', filter: { from: '2026-03-01T00:00:00Z' } },
      'filter.from',
      'the period of an export is its from/to or range, not filter.from/filter.to',
    ],
    [
      'a bad filter',
      { report: 'CALLS', range: 'PREVIOUS_DAY', filter: { direction: 'SIDEWAYS' as never } },
      'direction',
      'direction must be one of INBOUND, OUTBOUND, INTERNAL, TRANSIT, UNKNOWN',
    ],
    [
      'queues for agents',
      { report: 'AGENT_STATS', range: 'PREVIOUS_DAY', granularity: 'DAY', queues: ['8000'] },
      'queues',
      'queues applies to QUEUE_STATS exports only, not AGENT_STATS',
    ],
    [
      'empty agents',
      { report: 'AGENT_STATS', range: 'PREVIOUS_DAY', granularity: 'DAY', agents: [] },
      'agents',
      'agents must list 1 to 1000 names',
    ],
    [
      'a timeline without agents',
      { report: 'AGENT_TIMELINE', range: 'PREVIOUS_DAY' },
      'agents',
      'an AGENT_TIMELINE export needs agents (the extension numbers to export)',
    ],
    [
      'a blank agent',
      { report: 'AGENT_TIMELINE', range: 'PREVIOUS_DAY', agents: [' '] },
      'agents',
      'agents must hold non-empty names of at most 200 characters',
    ],
    [
      'reconciliation without run',
      { report: 'RECONCILIATION' },
      'reconciliationRunId',
      'a RECONCILIATION export needs reconciliationRunId (a UUID)',
    ],
    [
      'reconciliation with a period',
      { report: 'RECONCILIATION', range: 'PREVIOUS_DAY', reconciliationRunId: RUN_ID },
      'range',
      'a RECONCILIATION export covers the period of its reconciliation run: give reconciliationRunId, not from, to or range',
    ],
    [
      'a run id for calls',
      { report: 'CALLS', range: 'PREVIOUS_DAY', reconciliationRunId: RUN_ID },
      'reconciliationRunId',
      'reconciliationRunId applies to RECONCILIATION exports only, not CALLS',
    ],
    [
      'gzip not a boolean',
      { report: 'CALLS', range: 'PREVIOUS_DAY', gzip: 'yes' as never },
      'gzip',
      'gzip must be true or false',
    ],
  ])('rejects %s', (_what, input, field, message) => {
    expect(inputError(input)).toEqual({ field, message });
  });

  it('needs a relative range for a schedule', () => {
    const fixed = { report: 'CALLS', from: '2026-03-01T00:00:00Z', to: '2026-03-02T00:00:00Z' };
    expect(inputError(fixed, true)).toEqual({
      field: 'range',
      message:
        'a schedule exports a period relative to each run: give range (PREVIOUS_HOUR, PREVIOUS_DAY, PREVIOUS_WEEK, PREVIOUS_MONTH), not from/to',
    });
  });
});

describe('exportPeriod', () => {
  it('resolves a range at the due time in the zone, or keeps fixed dates', () => {
    const daily = validExportRequest({ report: 'CALLS', range: 'PREVIOUS_DAY' });
    expect(exportPeriod(daily, 'Europe/London', new Date('2026-10-26T02:00:00Z'))).toEqual({
      from: new Date('2026-10-24T23:00:00Z'),
      to: new Date('2026-10-26T00:00:00Z'),
    });
    const fixed = validExportRequest({ report: 'CALLS', from: '2026-03-01T00:00:00Z', to: '2026-03-02T00:00:00Z' });
    expect(exportPeriod(fixed, 'Asia/Kathmandu', new Date())).toEqual({
      from: new Date('2026-03-01T00:00:00Z'),
      to: new Date('2026-03-02T00:00:00Z'),
    });
    expect(
      exportPeriod(validExportRequest({ report: 'RECONCILIATION', reconciliationRunId: RUN_ID }), 'UTC', new Date()),
    ).toBeNull();
  });
});
