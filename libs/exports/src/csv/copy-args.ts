import { BindValue } from '@app/reporting';
import { Queryable } from '@app/platform';

/** The transaction-local setting that carries a COPY statement's values. */
export const COPY_ARGS_SETTING = 'cdr.export_args';

/**
 * Values for a `COPY (query) TO STDOUT` statement, which PostgreSQL does not let take bind
 * parameters. Rather than writing values into the SQL text, they travel as one bound parameter
 * (a JSON array in a transaction-local setting) and the query reads each back, typed, as a
 * one-row subquery — an InitPlan: evaluated once per statement, and usable as an index bound
 * (`Index Cond: (tenant_id = $0)`), so the plan is that of the bound query.
 */
export class CopyArgs {
  private readonly values: unknown[] = [];

  /** Binds like `bindParams` does for an ordinary query (see libs/reporting). */
  readonly bind: BindValue = (value, type) => {
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
