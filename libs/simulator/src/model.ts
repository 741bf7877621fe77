/**
 * The vendor-neutral model the generator works in: what happened on a call or to an agent, in
 * whole Unix seconds. Emitters turn these records into each vendor's payloads; the ground truth
 * is computed from them, never from the payloads.
 */

/** The PBX vendors the generator can speak. */
export type Vendor = 'nexbro' | 'portsip' | 'voipcloud';

/** Every vendor, in a fixed order (deterministic iteration). */
export const VENDORS: readonly Vendor[] = ['nexbro', 'portsip', 'voipcloud'];

/** Call direction as METRICS.md defines it. */
export type Direction = 'INBOUND' | 'OUTBOUND' | 'INTERNAL' | 'TRANSIT';

/** Call outcome as METRICS.md defines it. */
export type Disposition = 'ANSWERED' | 'NO_ANSWER' | 'BUSY' | 'FAILED' | 'ABANDONED' | 'VOICEMAIL';

/** What kind of endpoint a leg reached. */
export type LegKind = 'ivr' | 'queue' | 'ring_group' | 'extension' | 'voicemail' | 'external';

/** How a leg ended. `cancelled`: it was still ringing when the caller left or another leg answered. */
export type LegStatus = 'answered' | 'no_answer' | 'busy' | 'failed' | 'cancelled';

/** One destination a call reached (IVR, queue, ring group, extension, voicemail, external party). */
export interface Leg {
  kind: LegKind;
  /** Number of the endpoint ("5000", "8000", "101", "+61290001234"); `voicemail` legs name the mailbox. */
  number: string;
  start: number;
  /** When it started ringing (null for endpoints that answer without ringing). */
  ring: number | null;
  answer: number | null;
  end: number;
  status: LegStatus;
  /** Why the leg ended, in PortSIP's vocabulary (None, caller_disconnect, referred, ...). */
  endReason: string;
  /** SIP final response code of a failed leg (486 busy, 503 ...), else 0. */
  statusCode: number;
  /** A queue leg's ringing agents are `queue_call`-typed in PortSIP; everything else is normal. */
  viaQueue?: string;
}

/** Outcome of one queue (or ring group) attempt (METRICS.md "Queues"). */
export type QueueOutcome = 'answered' | 'abandoned' | 'timedOut' | 'callback';

/** One caller entering one queue or ring group once. */
export interface QueueAttempt {
  kind: 'queue' | 'ring_group';
  number: string;
  name: string;
  /** PortSIP's internal id of the queue (queue_caller_status carries only this). */
  portsipId: string;
  enter: number;
  leave: number;
  outcome: QueueOutcome;
  /** Position when entering (1 = first in line). */
  position: number;
  agent: string | null;
}

/** A PortSIP agent-status change caused by a call (QUEUE_CALL at answer, WRAP_UP, READY). */
export interface CallAgentStatus {
  at: number;
  extension: string;
  queue: string;
  status: 'QUEUE_CALL' | 'WRAP_UP' | 'READY';
}

/** The scenarios the call model produces. */
export type CallKind =
  'queue' | 'ring_group' | 'ivr_extension' | 'direct' | 'forwarded' | 'outbound' | 'internal' | 'callback';

/** A second vendor call created by a transfer (Nexbro gives it a new call_uuid in the same session). */
export interface ChildCall {
  vendorCallId: string;
  start: number;
  /** The transfer target's legs. */
  legs: Leg[];
  end: number;
}

/** One simulated call: everything the emitters and the ground truth need. */
export interface SimCall {
  seq: number;
  tenant: number;
  vendor: Vendor;
  kind: CallKind;
  vendorCallId: string;
  sessionId: string;
  /** PortSIP's SIP Call-ID and CDR id; unused by other vendors. */
  sipCallId: string;
  cdrId: string;
  direction: Direction;
  caller: string;
  callerName: string;
  /** The number dialled (a DID for inbound calls). */
  callee: string;
  did: string | null;
  start: number;
  end: number;
  legs: Leg[];
  /** DTMF entered in the IVR (Nexbro reports it), each with the second it was pressed. */
  digits: Array<{ at: number; digit: string; durationMs: number }>;
  holds: Array<[number, number]>;
  queue: QueueAttempt | null;
  agentStatuses: CallAgentStatus[];
  /** A voicemail message was left (VoIPcloud reports only recorded messages). */
  voicemail: { start: number; end: number; mailbox: string } | null;
  /** The call was recorded (VoIPcloud sends a recording event after it ends). */
  recorded: boolean;
  /** A component of the call flow called a webhook (VoIPcloud `webhook_component_event`). */
  component: string | null;
  /** Nexbro: the transferred part of the call, under a new call id. */
  child: ChildCall | null;
  /** Who the caller is when the queue calls back (callback calls only). */
  callbackFor: string | null;
}

/** A change on an extension that is not part of a call: registration, presence, agent state. */
export type AgentChange =
  | { kind: 'register'; tenant: number; at: number; extension: string; ok: boolean }
  | { kind: 'unregister'; tenant: number; at: number; extension: string }
  | { kind: 'presence'; tenant: number; at: number; extension: string; presence: Presence; note: string }
  | { kind: 'agent_status'; tenant: number; at: number; extension: string; queue: string; status: AgentStatus }
  | { kind: 'queue_snapshot'; tenant: number; at: number; queue: string; agents: QueueSnapshotAgent[] };

/** PortSIP presence values (AVAILABLE is the PBX's spelling of ONLINE). */
export type Presence = 'AVAILABLE' | 'AWAY' | 'LUNCH' | 'DO_NOT_DISTURB' | 'BUSINESS_TRIP';

/** PortSIP agent states; the PBX's ONLINE means registered but logged out of the queue. */
export type AgentStatus = 'READY' | 'NOT_READY' | 'ONLINE' | 'QUEUE_CALL' | 'WRAP_UP';

/** One member in a queue_status snapshot. */
export interface QueueSnapshotAgent {
  extension: string;
  state: AgentStatus;
  since: number;
}

/** One payload as the PBX sends it, before delivery faults. */
export interface EmittedEvent {
  tenant: number;
  vendor: Vendor;
  /** The event type as the vendor spells it (`CALL_ANSWER`, `call_cdr`, `queue_call`). */
  type: string;
  /** When the PBX sends it (Unix seconds). */
  at: number;
  /** The instant the vendor adapter should read from it (Unix seconds), or null when it carries none. */
  occurredAt: number | null;
  body: Record<string, unknown>;
}
