import { EmittedEvent, SimCall } from '../model';
import { Rng } from '../prng';
import { formatIsoOffset, formatIsoUtc, formatWall, nearOffsetChange } from '../time';
import { TenantWorld } from '../world';
import { event, personAnswer } from './common';

/**
 * VoIPcloud webhooks: `user_inbound` for each User a call rings, `user_inbound_answered` and
 * `user_inbound_completed` for the User who talks, `queue_call`/`ring_group_call` end-of-call
 * summaries, `voicemail`, recordings, `user_outbound*` and `webhook_component_event`. Times are
 * ISO 8601, mostly with the zone's offset, sometimes in UTC or zone-less (never zone-less near a
 * DST change, where the wall time would be ambiguous); missing values are null, "" or "null";
 * durations are numbers or numeric strings — all as VENDORS.md says real traffic does.
 */
export function voipcloudCallEvents(call: SimCall, world: TenantWorld, rng: Rng): EmittedEvent[] {
  const zone = world.timezone;
  const timeStyle = rng.weighted([
    ['offset', 70],
    ['utc', 15],
    ['wallT', 10],
    ['wallSpace', 5],
  ] as const);
  const time = (sec: number): string => {
    if (timeStyle === 'utc') return formatIsoUtc(sec);
    if (timeStyle === 'offset' || nearOffsetChange(zone, sec)) return formatIsoOffset(zone, sec);
    return formatWall(zone, sec, timeStyle === 'wallT' ? 'T' : ' ');
  };
  const nullish = rng.pick([null, '', 'null'] as const);
  const orNull = (v: string | null | undefined) => (v === null || v === undefined || v === '' ? nullish : v);
  const durationsAsText = rng.chance(0.5);
  const seconds = (n: number) => (durationsAsText ? String(n) : n);
  const out: EmittedEvent[] = [];
  const id = call.vendorCallId;
  const start = time(call.start);
  const person = personAnswer(call.legs);
  const userOf = (n: string) => world.extensions.find((e) => e.number === n) ?? null;
  const q = call.queue;
  const queueName = q?.kind === 'queue' ? q.name : null;
  const groupName = q?.kind === 'ring_group' ? q.name : null;
  const callDuration = call.end - call.start;
  const talk = person ? call.end - person.answer! : 0;
  // National spelling of Australian numbers, as the fixtures' outbound dest_number shows.
  const dialled = (n: string) => (n.startsWith('+61') && rng.chance(0.5) ? `0${n.slice(3)}` : n);

  if (call.direction === 'OUTBOUND') {
    const user = userOf(call.caller)!;
    const dest = dialled(call.callee);
    const common = {
      unique_call_id: id,
      caller_id: world.outboundCallerId,
      user_name: user.name,
      user_number: user.number,
      dest_number: dest,
      call_start_at: start,
    };
    out.push(event(call, 'voipcloud', 'user_outbound', call.start, call.start, { type: 'user_outbound', ...common }));
    if (person)
      out.push(
        event(call, 'voipcloud', 'user_outbound_answered', person.answer!, person.answer, {
          type: 'user_outbound_answered',
          ...common,
          connected_at: time(person.answer!),
        }),
      );
    out.push(
      event(call, 'voipcloud', 'user_outbound_completed', call.end, call.end, {
        type: 'user_outbound_completed',
        ...common,
        connected_at: person ? time(person.answer!) : nullish,
        call_duration: seconds(callDuration),
        conversation_duration: seconds(talk),
      }),
    );
    if (call.recorded) {
      const at = call.end + rng.int(5, 90);
      out.push(
        event(call, 'voipcloud', 'recording_outbound', at, call.end, {
          type: 'recording_outbound',
          unique_call_id: id,
          caller_id: world.outboundCallerId,
          user_name: user.name,
          user_number: user.number,
          dest_number: dest,
          recorded_at: time(call.end),
          emails: user.email,
          email_subject: 'Call recording',
          call_recording_link: nullish,
          email_message: '',
          mode: 'storage',
        }),
      );
    }
    return out;
  }

  const dest = call.did ?? call.callee;
  const callerName = orNull(call.callerName);
  if (call.component) {
    out.push(
      event(call, 'voipcloud', 'webhook_component_event', call.start, call.start, {
        type: 'webhook_component_event',
        unique_call_id: id,
        user_name: callerName,
        user_number: call.caller,
        dest_number: dest,
        call_start_at: start,
        component_name: call.component,
      }),
    );
  }
  const inbound = (n: string) => {
    const user = userOf(n)!;
    return {
      unique_call_id: id,
      caller_id: call.caller,
      caller_name: callerName,
      user_name: user.name,
      user_number: user.number,
      dest_number: dest,
      call_start_at: start,
    };
  };
  const names = { queue_name: orNull(queueName), ring_group_name: orNull(groupName) };
  const userLegs = call.legs.filter((l) => l.kind === 'extension');
  // A User leg is reported when it starts ringing, but its time field is the call's start.
  for (const leg of userLegs)
    out.push(
      event(call, 'voipcloud', 'user_inbound', leg.ring ?? leg.start, call.start, {
        type: 'user_inbound',
        ...inbound(leg.number),
        ...names,
      }),
    );
  if (person) {
    out.push(
      event(call, 'voipcloud', 'user_inbound_answered', person.answer!, person.answer, {
        type: 'user_inbound_answered',
        ...inbound(person.number),
        connected_at: time(person.answer!),
        ...names,
      }),
    );
  }
  // The User's call completes: for the User who talked, and for the only User of a direct call.
  const completedFor = person ?? (q === null ? (userLegs[userLegs.length - 1] ?? null) : null);
  if (completedFor) {
    out.push(
      event(call, 'voipcloud', 'user_inbound_completed', call.end, call.end, {
        type: 'user_inbound_completed',
        ...inbound(completedFor.number),
        connected_at: person ? time(person.answer!) : nullish,
        call_duration: seconds(callDuration),
        conversation_duration: seconds(talk),
        ...names,
      }),
    );
  }
  if (q) {
    const type = q.kind === 'queue' ? 'queue_call' : 'ring_group_call';
    const agent = person ? userOf(person.number) : null;
    const status = q.outcome === 'answered' ? 'answered' : q.outcome === 'abandoned' ? 'abandoned' : 'timedout';
    const at = call.end + rng.int(0, 2);
    out.push(
      event(call, 'voipcloud', type, at, call.end, {
        type,
        unique_call_id: id,
        caller_id: call.caller,
        caller_name: callerName,
        user_name: orNull(agent?.name),
        user_number: orNull(agent?.number),
        dest_number: dest,
        call_start_at: start,
        connected_at: person ? time(person.answer!) : nullish,
        call_duration: seconds(callDuration),
        conversation_duration: seconds(talk),
        ...(q.kind === 'queue' ? { queue_name: q.name } : { ring_group_name: q.name }),
        status,
      }),
    );
  }
  if (call.voicemail) {
    const vm = call.voicemail;
    const box = userOf(vm.mailbox);
    out.push(
      event(call, 'voipcloud', 'voicemail', vm.end + rng.int(1, 20), vm.end, {
        type: 'voicemail',
        unique_call_id: id,
        caller_id: call.caller,
        dest_number: dest,
        recorded_at: time(vm.end),
        emails: box?.email ?? `${vm.mailbox}@t${call.tenant + 1}.example`,
        email_subject: 'New voicemail',
        email_message: `You have a new voicemail from ${call.caller}`,
        call_recording_link: nullish,
      }),
    );
  }
  if (call.recorded && person) {
    const at = call.end + rng.int(5, 90);
    out.push(
      event(call, 'voipcloud', 'recording_inbound', at, call.end, {
        type: 'recording_inbound',
        unique_call_id: id,
        caller_id: call.caller,
        dest_number: dest,
        recorded_at: time(call.end),
        emails: userOf(person.number)?.email ?? '',
        email_subject: 'Call recording',
        call_recording_link: nullish,
        email_message: 'Recording attached',
      }),
    );
  }
  return out;
}
