import { BindValue, isUuid } from '@app/reporting';
import { Queryable } from '@app/platform';

/** The transaction-local setting that carries a COPY statement's text values. */
export const COPY_ARGS_SETTING = 'cdr.export_args';

/**
 * Values for a `COPY (query) TO STDOUT` statement, which PostgreSQL does not let take bind
 * parameters.
 *
 * - A UUID (the tenant, a source) or a timestamp (the period) is written into the statement as a
 *   typed literal, and only from its validated form — a canonical UUID, or the ISO string a Date
 *   prints — in which no character can end the literal. The planner must see these: they bound
 *   the scan, and with unknown values it guesses a few thousand rows and picks a plan that hashes
 *   and sorts every call of the period first.
 * - Everything else (text the caller typed: a queue, an agent, a number) is never written into
 *   the SQL: the values travel as one bound parameter (a JSON array in a transaction-local
 *   setting), and the query reads each back, typed, as a one-row subquery (an InitPlan,
 *   evaluated once per statement).
 */
export class CopyArgs {
  private readonly values: unknown[] = [];

  /** Binds like `bindParams` does for an ordinary query (see libs/reporting). */
  readonly bind: BindValue = (value, type) => {
    if (type === 'uuid' && isUuid(value)) return `'${value.toLowerCase()}'::uuid`;
    if (type === 'timestamptz' && value instanceof Date && !Number.isNaN(value.getTime()))
      return `'${value.toISOString()}'::timestamptz`;
    const i = this.values.push(value instanceof Date ? value.toISOString() : value) - 1;
    const arg = `current_setting('${COPY_ARGS_SETTING}')::jsonb`;
    return type.endsWith('[]')
      ? `(SELECT ARRAY(SELECT jsonb_array_elements_text(${arg} -> ${i}))::${type})`
      : `(SELECT (${arg} ->> ${i})::${type})`;
  };

  /** Sets the values for the statements that follow in this transaction. */
  async apply(db: Queryable): Promise<void> {
    await db.query('SELECT set_config($1, $2, true)', [COPY_ARGS_SETTING, JSON.stringify(this.values)]);
  }
}
