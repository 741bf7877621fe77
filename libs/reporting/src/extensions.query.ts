import { Queryable } from '@app/platform';

/** One row of `Extension`. */
export interface ExtensionRow {
  number: string;
  name: string | null;
  online: boolean;
  presence: string | null;
  /** ON_CALL, RINGING, IDLE (the PBX said "in no call"), or null when never reported. */
  callStatus: string | null;
  lastSeenAt: Date | null;
  userAgent: string | null;
  ip: string | null;
}

/** The tenant's extension directory, ordered by number; extensions the PBX deleted are left out. */
export async function extensions(db: Queryable, tenantId: string): Promise<ExtensionRow[]> {
  const { rows } = await db.query<{
    number: string;
    name: string | null;
    online: boolean;
    presence: string | null;
    call_status: string | null;
    last_seen_at: Date | null;
    user_agent: string | null;
    ip: string | null;
  }>(
    `SELECT number, name, online, presence, call_status, last_seen_at, user_agent, ip
     FROM extensions WHERE tenant_id = $1 AND NOT removed
     ORDER BY number`,
    [tenantId],
  );
  return rows.map((r) => ({
    number: r.number,
    name: r.name,
    online: r.online,
    presence: r.presence,
    callStatus: r.call_status,
    lastSeenAt: r.last_seen_at,
    userAgent: r.user_agent,
    ip: r.ip,
  }));
}
