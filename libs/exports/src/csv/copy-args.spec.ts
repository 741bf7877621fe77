import { callsWhere, validCallFilter } from '@app/reporting';
import { CopyArgs } from './copy-args';

const TENANT = '6F1C2A4E-8B3D-4C5E-9F70-0A1B2C3D4E5F';

describe('CopyArgs', () => {
  it('writes only validated UUIDs and Date timestamps into the SQL; text is read back from the setting', () => {
    const args = new CopyArgs();
    const where = callsWhere(
      TENANT,
      validCallFilter({
        from: '2026-03-01T00:00:00+11:00',
        to: new Date('2026-03-02T00:00:00Z'),
        queue: "8000'; DROP TABLE call_sessions; --",
        number: '+61290000000',
      }),
      args.bind,
    );
    const numbers = `(SELECT ARRAY(SELECT jsonb_array_elements_text(current_setting('cdr.export_args')::jsonb -> 1))::text[])`;
    expect(where).toEqual([
      "c.tenant_id = '6f1c2a4e-8b3d-4c5e-9f70-0a1b2c3d4e5f'::uuid",
      "c.started_at >= '2026-02-28T13:00:00.000Z'::timestamptz",
      "c.started_at < '2026-03-02T00:00:00.000Z'::timestamptz",
      "c.queue = (SELECT (current_setting('cdr.export_args')::jsonb ->> 0)::text)",
      `(c.caller_number = ANY(${numbers}) OR c.callee_number = ANY(${numbers}) OR c.did_number = ANY(${numbers}))`,
    ]);
    expect(where.join(' ')).not.toContain('DROP');
  });

  it('never inlines a value that is not what its type says', () => {
    const args = new CopyArgs();
    expect(args.bind("x' OR true --", 'uuid')).toBe("(SELECT (current_setting('cdr.export_args')::jsonb ->> 0)::uuid)");
    expect(args.bind('2026-03-01T00:00:00Z', 'timestamptz')).toBe(
      "(SELECT (current_setting('cdr.export_args')::jsonb ->> 1)::timestamptz)",
    );
  });

  it('sets the values as one bound parameter', async () => {
    const args = new CopyArgs();
    args.bind('8000', 'text');
    args.bind(['a', 'b'], 'text[]');
    const db = { query: jest.fn().mockResolvedValue({ rows: [] }) };
    await args.apply(db);
    expect(db.query).toHaveBeenCalledWith('SELECT set_config($1, $2, true)', ['cdr.export_args', '["8000",["a","b"]]']);
  });
});
