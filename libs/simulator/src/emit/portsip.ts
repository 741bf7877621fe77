import { AgentChange, Direction, EmittedEvent, Leg, SimCall } from '../model';
import { Rng } from '../prng';
import { TenantWorld } from '../world';
import { event, firstAnswer, legsInOrder } from './common';

/**
 * PortSIP v22: the CDR stream (call_start, cdr_target_add/ringing/answer/noanswer/fail/end,
 * call_cdr with call_targets[]) and the status stream (queue_status, queue_caller_status,
 * extension_agent_status, extension_presence). Every time is a Unix-seconds string with "0" for
 * "did not happen". The documented spelling variants are used at random per call, as real
 * installations differ: parties as plain numbers or SIP URIs, both direction vocabularies,
 * end_reason/ended_reason, did/did_cid, cdr_id/id on targets, talk_duration as number or string.
 */

const SHORT: Record<Direction, string> = { INBOUND: 'in', OUTBOUND: 'out', INTERNAL: 'ext', TRANSIT: 'in2out' };
const LONG: Record<Direction, string> = {
  INBOUND: 'inbound',
  OUTBOUND: 'outbound',
  INTERNAL: 'internal',
  TRANSIT: 'inbound_outbound',
};

const unix = (sec: number | null): string => (sec === null ? '0' : String(sec));

function legStatus(leg: Leg): string {
  if (leg.status === 'answered') return 'answered';
  if (leg.status === 'busy' || leg.status === 'failed') return 'fail';
  return 'noanswer';
}

interface Style {
  uri: boolean;
  targetId: 'cdr_id' | 'id';
  endReasonKey: 'end_reason' | 'ended_reason';
  didKey: 'did' | 'did_cid';
  talkAsNumber: boolean;
  codeAsString: boolean;
  longDirectionInStart: boolean;
  shortDirectionInCdr: boolean;
  queueCallType: boolean;
  port: number;
}

function styleOf(rng: Rng): Style {
  return {
    uri: rng.chance(0.4),
    targetId: rng.chance(0.5) ? 'cdr_id' : 'id',
    endReasonKey: rng.chance(0.5) ? 'end_reason' : 'ended_reason',
    didKey: rng.chance(0.8) ? 'did' : 'did_cid',
    talkAsNumber: rng.chance(0.5),
    codeAsString: rng.chance(0.3),
    longDirectionInStart: rng.chance(0.2),
    shortDirectionInCdr: rng.chance(0.2),
    queueCallType: rng.chance(0.5),
    port: rng.int(5060, 9000),
  };
}

/** All PortSIP events of one call: CDR stream, queue caller status and the agents' status changes. */
export function portsipCallEvents(call: SimCall, world: TenantWorld, rng: Rng): EmittedEvent[] {
  const s = styleOf(rng);
  const pbx = world.pbx;
  const party = (n: string) => (s.uri ? `sip:${n}@${pbx.domain}` : n);
  const out: EmittedEvent[] = [];
  const base = { session_id: call.sessionId, call_id: call.sipCallId, tenant_id: pbx.portsipTenantId };
  const external = call.direction !== 'INTERNAL';
  const legs = legsInOrder(call);

  const target = (leg: Leg, i: number, stage: 'add' | 'ringing' | 'answer' | 'final'): Record<string, unknown> => {
    const final = stage === 'final';
    const ring = stage === 'add' ? null : leg.ring;
    const answer = stage === 'answer' || final ? leg.answer : null;
    const callType =
      leg.kind === 'queue'
        ? s.queueCallType
          ? 'queue_call'
          : 'normal_call'
        : leg.kind === 'ring_group'
          ? 'ring_group_call'
          : call.kind === 'callback'
            ? 'callback_call'
            : 'normal_call';
    const host = leg.kind === 'external' ? pbx.sipHost : `${pbx.sipHost}:${s.port + i}`;
    const destination = leg.kind === 'voicemail' ? `sip:voicemail@${host}` : `sip:${leg.number}@${host}`;
    const ringDuration = final && leg.ring !== null ? (leg.answer ?? leg.end) - leg.ring : 0;
    const talk = final && leg.answer !== null ? leg.end - leg.answer : 0;
    return {
      answered_time: unix(answer),
      call_type: callType,
      callee: leg.number,
      caller: call.caller,
      destination,
      [s.didKey]: call.did ?? '',
      [s.endReasonKey]: final ? leg.endReason : 'None',
      ended_time: unix(final ? leg.end : null),
      [s.targetId]: `${call.cdrId.slice(0, 15)}${String(i).padStart(3, '0')}`,
      outbound_caller_id: call.direction === 'OUTBOUND' ? world.outboundCallerId : '',
      ring_duration: String(ringDuration),
      ring_time: unix(ring ?? (stage === 'add' ? null : leg.answer)),
      start_time: unix(leg.start),
      status: final ? legStatus(leg) : stage === 'answer' ? 'answered' : '',
      status_code: s.codeAsString ? String(final ? leg.statusCode : 0) : final ? leg.statusCode : 0,
      talk_duration: String(talk),
      trunk_name: external ? pbx.trunk : '',
    };
  };

  out.push(
    event(call, 'portsip', 'call_start', call.start, call.start, {
      event_type: 'call_start',
      call_id: call.sipCallId,
      callee: party(call.callee),
      callee_display_name: '',
      caller: party(call.caller),
      caller_display_name: call.callerName,
      cdr_id: call.cdrId,
      direction: s.longDirectionInStart ? LONG[call.direction] : SHORT[call.direction],
      session_id: call.sessionId,
      tenant_id: pbx.portsipTenantId,
      time: String(call.start),
    }),
  );
  legs.forEach((leg, i) => {
    const t = (type: string, at: number, stage: 'add' | 'ringing' | 'answer' | 'final') =>
      out.push(event(call, 'portsip', type, at, at, { event_type: type, ...base, ...target(leg, i, stage) }));
    t('cdr_target_add', leg.start, 'add');
    if (leg.ring !== null) t('cdr_target_ringing', leg.ring, 'ringing');
    if (leg.answer !== null) t('cdr_target_answer', leg.answer, 'answer');
    const final =
      leg.status === 'answered'
        ? 'cdr_target_end'
        : leg.status === 'busy' || leg.status === 'failed'
          ? 'cdr_target_fail'
          : 'cdr_target_noanswer';
    t(final, leg.end, 'final');
  });

  const q = call.queue;
  if (q && q.kind === 'queue') {
    const queue = world.queues.find((x) => x.number === q.number)!;
    const caller = (reason: string, at: number, position: number) =>
      out.push(
        event(call, 'portsip', 'queue_caller_status', at, at, {
          event_type: 'queue_caller_status',
          tenant_id: pbx.portsipTenantId,
          queue_id: queue.portsipId,
          updated_callers: [
            {
              position: String(position),
              session_id: call.sessionId,
              caller_number: call.caller,
              reason,
              timestamp: String(at),
              type: 'normal',
            },
          ],
        }),
      );
    caller('enqueue', q.enter, q.position);
    const reason = { answered: 'agent_answered', abandoned: 'hangup', timedOut: 'overflow', callback: 'callback' }[
      q.outcome
    ];
    caller(reason, q.leave, 1);
  }
  for (const a of call.agentStatuses)
    out.push(...agentStatusEvent(world, call.tenant, a.extension, a.queue, a.status, a.at));

  const answered = firstAnswer(legs);
  const failed = legs.find((l) => l.status === 'busy' || l.status === 'failed') ?? null;
  const firstRing = legs.reduce<number | null>((m, l) => {
    const r = l.ring ?? l.answer;
    return r !== null && (m === null || r < m) ? r : m;
  }, null);
  const last = legs[legs.length - 1];
  const endReason =
    q?.outcome === 'abandoned'
      ? 'caller_disconnect'
      : q?.outcome === 'callback'
        ? 'callee_disconnect'
        : (last?.endReason ?? 'None');
  const talk = answered === null ? 0 : call.end - answered;
  const code = answered === null && failed ? failed.statusCode : 0;
  out.push(
    event(call, 'portsip', 'call_cdr', call.end, call.end, {
      answered_time: unix(answered),
      call_id: call.sipCallId,
      call_status: answered !== null ? 'answered' : failed ? 'fail' : 'noanswer',
      call_targets: legs.map((l, i) => target(l, i, 'final')),
      callee: party(call.callee),
      callee_domain: pbx.domain,
      caller: party(call.caller),
      caller_display_name: call.callerName,
      caller_domain: external && call.direction !== 'OUTBOUND' ? pbx.sipHost : pbx.domain,
      [s.didKey]: call.did ?? '',
      direction: s.shortDirectionInCdr ? SHORT[call.direction] : LONG[call.direction],
      [s.endReasonKey]: endReason,
      ended_time: String(call.end),
      event_type: 'call_cdr',
      outbound_caller_id: call.direction === 'OUTBOUND' ? world.outboundCallerId : '',
      ring_duration: String(firstRing === null ? 0 : (answered ?? call.end) - firstRing),
      ring_time: unix(firstRing),
      session_id: call.sessionId,
      start_time: String(call.start),
      status_code: s.codeAsString ? String(code) : code,
      talk_duration: s.talkAsNumber ? talk : String(talk),
      tenant_id: pbx.portsipTenantId,
      tenant_name: pbx.tenantName,
      trunk_name: external ? pbx.trunk : '',
      user_data: '',
    }),
  );
  return out;
}

function agentStatusEvent(
  world: TenantWorld,
  tenant: number,
  extension: string,
  queue: string,
  status: string,
  at: number,
): EmittedEvent[] {
  const ext = world.extensions.find((e) => e.number === extension)!;
  return [
    event({ tenant }, 'portsip', 'extension_agent_status', at, at, {
      agent_status: [{ queue_number: queue, status }],
      event_type: 'extension_agent_status',
      extension: `sip:${extension}@${world.pbx.domain}`,
      extension_id: ext.portsipId,
      tenant_id: world.pbx.portsipTenantId,
      time: String(at),
    }),
  ];
}

/** PortSIP status-stream events for a presence/agent change or a queue snapshot. */
export function portsipStatusEvents(change: AgentChange, world: TenantWorld): EmittedEvent[] {
  const pbx = world.pbx;
  switch (change.kind) {
    case 'agent_status':
      return agentStatusEvent(world, change.tenant, change.extension, change.queue, change.status, change.at);
    case 'presence': {
      const ext = world.extensions.find((e) => e.number === change.extension)!;
      return [
        event(change, 'portsip', 'extension_presence', change.at, change.at, {
          event_type: 'extension_presence',
          extension: `sip:${ext.number}@${pbx.domain}`,
          presence: change.presence,
          presence_note: change.note,
          tenant_id: pbx.portsipTenantId,
          extension_id: ext.portsipId,
          time: String(change.at),
        }),
      ];
    }
    case 'queue_snapshot': {
      const q = world.queues.find((x) => x.number === change.queue)!;
      // A snapshot carries no time of its own (occurredAt null): its timestamps say when each
      // agent's state began.
      return [
        event(change, 'portsip', 'queue_status', change.at, null, {
          event_type: 'queue_status',
          tenant_id: pbx.portsipTenantId,
          queue_id: q.portsipId,
          queue_number: q.number,
          queue_name: q.name,
          waiting_list: [],
          agents: change.agents.map((a) => ({
            state: a.state,
            agent_extension_number: a.extension,
            session_id: '',
            caller_number: '',
            caller_name: '',
            timestamp: String(a.since),
          })),
        }),
      ];
    }
    default:
      return [];
  }
}
