/**
 * Extension-directory reducer: folds the events about one extension number into its directory
 * row (CONTRACT.md `Extension`, plus a `removed` flag).
 *
 * Pure, and a function of the SET of events: every fact is applied in (time, position) order,
 * so the latest statement of each field wins whatever the arrival order, and a duplicate
 * restates the same fact. A fact's time is its own (a PortSIP `status[]` entry's `time`), else
 * the event's occurredAt, else its receivedAt: PortSIP management events carry no time, so
 * among themselves they are ordered by arrival, which is all the PBX gives. Positions are
 * bigint strings compared numerically.
 *
 * Nexbro
 * - EXTENSION_REGISTER_SUCCESS: online, and the device (`ip`, `user_agent`) and `name`.
 * - EXTENSION_UNREGISTER: offline; its `ip`/`user_agent` are the device that was registered
 *   (the docs say so), so they are kept as the latest known device.
 * - EXTENSION_REGISTER_FAILURE changes nothing, not even lastSeenAt: anyone who knows the number
 *   can make a failed attempt, so it says nothing about the extension's own device.
 * PortSIP
 * - extension_status entries: `online`, presence, call status; extension_call: call status;
 *   extension_presence: presence; extension_agent_status: only "seen".
 * - extension_created / extension_updated: `disp_name`, and not removed; extension_destroyed:
 *   removed. Only management events decide `removed` (a status push after a deletion does not
 *   resurrect the number; an extension_created does).
 * Fields
 * - online: false until a registration says otherwise. presence: canonical (AVAILABLE = ONLINE).
 * - callStatus: ON_CALL, RINGING, or IDLE when the PBX said "in no call"; null if never reported.
 * - lastSeenAt: the latest time of any event that reports the extension's own state (all of the
 *   above except failures and management events, which carry no time).
 */
import { canonicalJson } from '@app/vendors';
import { nexbroExtensionFacts, nexbroRegistrationState } from '@app/vendors/nexbro';
import { portsipExtensionRecord, portsipExtensionStatuses } from '@app/vendors/portsip';
import type { AgentEvent } from './agent-segments.reducer';

/** One directory row. */
export interface DirectoryExtension {
  number: string;
  name: string | null;
  online: boolean;
  presence: string | null;
  callStatus: 'ON_CALL' | 'RINGING' | 'IDLE' | null;
  lastSeenAt: Date | null;
  userAgent: string | null;
  ip: string | null;
  /** The PBX deleted the extension (PortSIP extension_destroyed) and has not re-created it. */
  removed: boolean;
}

/** One field-level statement of an event about the extension. */
interface Fact {
  at: number;
  position: string;
  /** Tie-break for statements of the same event and instant (stable, content-based). */
  content: string;
  /** Whether this fact reports the extension's own state (moves lastSeenAt). */
  seen: boolean;
  apply: (row: DirectoryExtension) => void;
}

const STATUS_TYPES: ReadonlySet<string> = new Set([
  'extension_status',
  'extension_call',
  'extension_presence',
  'extension_agent_status',
]);
const MANAGEMENT_TYPES: ReadonlySet<string> = new Set([
  'extension_created',
  'extension_updated',
  'extension_destroyed',
]);

/** The extension numbers an event says something about (to route it to foldExtension). */
export function directoryExtensions(event: AgentEvent): string[] {
  const numbers: Array<string | null> = [];
  if (event.vendor === 'nexbro' && nexbroRegistrationState(event.type) !== null) {
    numbers.push(nexbroExtensionFacts(event.payload).extension);
  } else if (event.vendor === 'portsip' && STATUS_TYPES.has(event.type)) {
    numbers.push(...portsipExtensionStatuses(event.payload).map((s) => s.extension));
  } else if (event.vendor === 'portsip' && MANAGEMENT_TYPES.has(event.type)) {
    numbers.push(portsipExtensionRecord(event.payload).number);
  }
  return [...new Set(numbers.filter((n): n is string => n !== null && n !== ''))].sort();
}

/** Folds every event about `number`; null when none of them says anything about it. */
export function foldExtension(number: string, events: readonly AgentEvent[]): DirectoryExtension | null {
  const facts = events.flatMap((e) => factsOf(number, e));
  if (facts.length === 0) return null;
  facts.sort(
    (a, b) =>
      a.at - b.at ||
      comparePosition(a.position, b.position) ||
      (a.content < b.content ? -1 : a.content > b.content ? 1 : 0),
  );
  const row: DirectoryExtension = {
    number,
    name: null,
    online: false,
    presence: null,
    callStatus: null,
    lastSeenAt: null,
    userAgent: null,
    ip: null,
    removed: false,
  };
  let lastSeen: number | null = null;
  for (const f of facts) {
    f.apply(row);
    if (f.seen) lastSeen = Math.max(lastSeen ?? f.at, f.at);
  }
  row.lastSeenAt = lastSeen === null ? null : new Date(lastSeen);
  return row;
}

function factsOf(number: string, e: AgentEvent): Fact[] {
  const eventAt = validTime(e.occurredAt) ?? validTime(e.receivedAt);
  if (eventAt === null) return [];
  const fact = (at: number, seen: boolean, apply: Fact['apply']): Fact => ({
    at,
    position: e.position,
    content: `${e.type}\u0000${canonicalJson(e.payload)}`,
    seen,
    apply,
  });

  if (e.vendor === 'nexbro') {
    const registration = nexbroRegistrationState(e.type);
    const f = nexbroExtensionFacts(e.payload);
    if (registration === null || f.extension !== number) return [];
    return [
      fact(eventAt, true, (row) => {
        row.online = registration === 'ONLINE';
        row.name = f.name ?? row.name;
        row.ip = f.ip ?? row.ip;
        row.userAgent = f.userAgent ?? row.userAgent;
      }),
    ];
  }

  if (e.vendor === 'portsip' && STATUS_TYPES.has(e.type)) {
    return portsipExtensionStatuses(e.payload)
      .filter((s) => s.extension === number)
      .map((s) =>
        fact(validTime(s.at) ?? eventAt, true, (row) => {
          if (s.online !== null) row.online = s.online;
          if (s.presence !== null) row.presence = s.presence;
          if (s.callActivity !== null) row.callStatus = s.callActivity;
        }),
      );
  }

  if (e.vendor === 'portsip' && MANAGEMENT_TYPES.has(e.type)) {
    const r = portsipExtensionRecord(e.payload);
    if (r.number !== number) return [];
    const destroyed = e.type === 'extension_destroyed';
    return [
      fact(eventAt, false, (row) => {
        row.removed = destroyed;
        if (!destroyed) row.name = r.name ?? row.name;
      }),
    ];
  }
  return [];
}

// Positions are bigints as strings: compare by length first so "10" sorts after "9".
function comparePosition(a: string, b: string): number {
  if (/^\d+$/.test(a) && /^\d+$/.test(b)) {
    const x = a.replace(/^0+(?=\d)/, '');
    const y = b.replace(/^0+(?=\d)/, '');
    if (x.length !== y.length) return x.length - y.length;
    return x < y ? -1 : x > y ? 1 : 0;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

function validTime(d: Date | null | undefined): number | null {
  if (!(d instanceof Date)) return null;
  const t = d.getTime();
  return Number.isFinite(t) ? t : null;
}
