import { AgentChange, EmittedEvent, SimCall } from '../model';
import { Rng } from '../prng';
import { formatWall } from '../time';
import { TenantWorld } from '../world';
import { event } from './common';

/**
 * Nexbro webhooks: one lifecycle event per step of a call (CALL_ROUTED, CALL_RINGING,
 * CALL_ANSWER, CALL_INPUT, CALL_HOLD/UNHOLD, CALL_HANGUP) and registration events, with the
 * documented fields only, every value a string, and `timestamp` as zone-less wall time of the
 * PBX (the source's zone). A blind transfer continues under a new call_uuid in the same
 * call_session_uuid.
 */
export function nexbroCallEvents(call: SimCall, world: TenantWorld, rng: Rng): EmittedEvent[] {
  const zone = world.timezone;
  // Some installations send E.164 without the plus; both are "not an extension".
  const caller = call.direction !== 'INBOUND' || rng.chance(0.8) ? call.caller : call.caller.replace(/^\+/, '');
  const out: EmittedEvent[] = [];
  const emit = (
    type: string,
    at: number,
    uuid: string,
    session: string,
    destination: string,
    extra: Record<string, string> = {},
  ) =>
    out.push(
      event(call, 'nexbro', type, at, at, {
        event: type,
        call_uuid: uuid,
        call_session_uuid: session,
        caller_id_number: caller,
        destination_number: destination,
        ...extra,
        timestamp: formatWall(zone, at),
      }),
    );
  const id = call.vendorCallId;
  emit('CALL_ROUTED', call.start, id, call.sessionId, call.callee);
  for (const leg of call.legs) {
    if (leg.kind === 'ivr') {
      // The dialled number answering itself: the PBX's IVR picks up.
      emit('CALL_ANSWER', leg.answer!, id, call.sessionId, leg.number);
      continue;
    }
    if (leg.ring !== null) emit('CALL_RINGING', leg.ring, id, call.sessionId, leg.number);
    if (leg.answer !== null) emit('CALL_ANSWER', leg.answer, id, call.sessionId, leg.number);
  }
  for (const d of call.digits)
    emit('CALL_INPUT', d.at, id, call.sessionId, call.callee, { digit: d.digit, digit_duration: String(d.durationMs) });
  for (const [from, to] of call.holds) {
    emit('CALL_HOLD', from, id, call.sessionId, call.callee);
    emit('CALL_UNHOLD', to, id, call.sessionId, call.callee);
  }
  emit('CALL_HANGUP', call.end, id, call.sessionId, call.callee);
  if (call.child) {
    const c = call.child;
    const target = c.legs[0]?.number ?? call.callee;
    emit('CALL_ROUTED', c.start, c.vendorCallId, call.sessionId, target);
    for (const leg of c.legs) {
      if (leg.ring !== null) emit('CALL_RINGING', leg.ring, c.vendorCallId, call.sessionId, leg.number);
      if (leg.answer !== null) emit('CALL_ANSWER', leg.answer, c.vendorCallId, call.sessionId, leg.number);
    }
    emit('CALL_HANGUP', c.end, c.vendorCallId, call.sessionId, target);
  }
  return out;
}

/** Nexbro registration events of one extension (the PBX's view of devices). */
export function nexbroRegistrationEvents(change: AgentChange, world: TenantWorld): EmittedEvent[] {
  if (change.kind !== 'register' && change.kind !== 'unregister') return [];
  const ext = world.extensions.find((e) => e.number === change.extension)!;
  const timestamp = formatWall(world.timezone, change.at);
  const d = ext.device;
  let type: string;
  let body: Record<string, unknown>;
  if (change.kind === 'register' && change.ok) {
    type = 'EXTENSION_REGISTER_SUCCESS';
    body = {
      event: type,
      extension: ext.number,
      name: ext.name,
      ip: d.ip,
      port: d.port,
      transport: d.transport,
      user_agent: d.userAgent,
      timestamp,
    };
  } else if (change.kind === 'register') {
    type = 'EXTENSION_REGISTER_FAILURE';
    body = { event: type, extension: ext.number, ip: d.ip, port: d.port, user_agent: d.userAgent, timestamp };
  } else {
    type = 'EXTENSION_UNREGISTER';
    body = {
      event: type,
      extension: ext.number,
      name: ext.name,
      ip: d.ip,
      port: d.port,
      user_agent: d.userAgent,
      timestamp,
    };
  }
  return [event(change, 'nexbro', type, change.at, change.at, body)];
}
