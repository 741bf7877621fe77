import { PoolClient } from 'pg';
import { CallKey, rateCalls } from '@app/billing';
import { StoredEvent } from '@app/event-store';
import { callId } from '../call-sessions/call-sessions.writer';
import { Projection } from '../runner/projection';

/**
 * Rating (`call_costs`): every call a batch touches is rated again from its call_sessions row
 * (libs/billing rateCalls), which replaces its cost — never adds one.
 *
 * It follows call-sessions: the runner hands it only events the call-sessions projection has
 * already applied in the same partition, so the call rows it reads are those of its events (or
 * newer). Rate imports re-rate in their own transaction under the tenant's exclusive rating lock;
 * a batch takes it shared, so it never writes a cost from rates an import is replacing.
 */
export class CallCostsProjection implements Projection {
  readonly name = 'call-costs';
  readonly tables = ['call_costs'];
  readonly follows = 'call-sessions';

  async apply(client: PoolClient, events: readonly StoredEvent[]): Promise<void> {
    // By vendor key first: a call has several events in a batch, and its id is a hash.
    const keys = new Map<string, CallKey>();
    for (const e of events) {
      if (!e.callKey) continue;
      const key = `${e.tenantId}\u0000${e.sourceId}\u0000${e.callKey}`;
      if (!keys.has(key)) keys.set(key, { tenantId: e.tenantId, callId: callId(e.tenantId, e.sourceId, e.callKey) });
    }
    await rateCalls(client, [...keys.values()]);
  }
}
