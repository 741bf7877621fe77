import { exportFileName } from './export-file';
import { REPORTS } from './reports/registry';

const RUN = '6f1c2a4e-8b3d-4c5e-9f70-0a1b2c3d4e5f';

describe('exportFileName', () => {
  it('says report, range and zone, with the local times and offsets of the zone', () => {
    const day = { from: new Date('2026-10-24T23:00:00Z'), to: new Date('2026-10-26T00:00:00Z') };
    expect(exportFileName(REPORTS.CALLS, day, 'Europe/London', false, RUN)).toBe(
      'calls_2026-10-25T00-00+01-00_2026-10-26T00-00+00-00_Europe-London.csv',
    );
    const hour = { from: new Date('2026-03-02T09:15:00Z'), to: new Date('2026-03-02T10:15:00Z') };
    expect(exportFileName(REPORTS.QUEUE_STATS, hour, 'Asia/Kathmandu', true, RUN)).toBe(
      'queue-stats_2026-03-02T15-00+05-45_2026-03-02T16-00+05-45_Asia-Kathmandu.csv.gz',
    );
    expect(exportFileName(REPORTS.AGENT_STATS, hour, 'America/Argentina/Buenos_Aires', false, RUN)).toBe(
      'agent-stats_2026-03-02T06-15-03-00_2026-03-02T07-15-03-00_America-Argentina-Buenos_Aires.csv',
    );
    expect(exportFileName(REPORTS.RECONCILIATION, null, 'UTC', false, RUN)).toBe(`reconciliation_${RUN}_UTC.csv`);
  });
});
