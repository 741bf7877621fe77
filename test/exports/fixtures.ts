import { Json } from './support';

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

/** Caller names that exercise quoting and formula neutralising (and plain ones). */
const NAMES = ['Smith, John', 'O"Brien', null, '', 'Zoë Ångström', '-minus', '+plus sign', 'Plain Name', '@handle'];
const STATUSES = ['answered', 'answered', 'abandoned', 'answered', 'timeout'] as const;

/**
 * VoIPcloud queue_call summaries, one every `stepMinutes` from `startIso`: queues Sales and
 * Support, agents 201 and 202, answered, abandoned and timed-out callers with odd names. Each is
 * a call, a queue attempt and (when answered) CALL segments of its agent.
 */
export function voipcloudQueueCalls(startIso: string, count: number, stepMinutes: number, prefix = 'q'): Json[] {
  const start = Date.parse(startIso);
  const out: Json[] = [];
  for (let i = 0; i < count; i++) {
    const at = start + i * stepMinutes * 60_000;
    const status = STATUSES[i % STATUSES.length];
    const answered = status === 'answered';
    const wait = 5 + ((i * 7) % 40);
    const talk = answered ? 30 + ((i * 13) % 300) : 0;
    out.push({
      type: 'queue_call',
      unique_call_id: `${prefix}-${i}`,
      caller_id: i % 4 === 3 ? `029000${String(i).padStart(4, '0')}` : `+612900${String(i).padStart(5, '0')}`,
      caller_name: NAMES[i % NAMES.length],
      user_name: answered ? `Agent ${201 + (i % 2)}` : null,
      user_number: answered ? String(201 + (i % 2)) : null,
      dest_number: '+61280001000',
      call_start_at: iso(at),
      connected_at: answered ? iso(at + wait * 1000) : null,
      call_duration: answered ? wait + talk : wait,
      conversation_duration: talk,
      queue_name: i % 3 === 0 ? 'Support' : 'Sales',
      status,
    });
  }
  return out;
}

/** A completed VoIPcloud inbound call at `startIso` with the given caller. */
export function voipcloudInbound(id: string, startIso: string, callerId: string, callerName: string): Json {
  const start = Date.parse(startIso);
  return {
    type: 'user_inbound_completed',
    unique_call_id: id,
    caller_id: callerId,
    caller_name: callerName,
    user_name: 'Alice',
    user_number: '201',
    dest_number: '+61280001000',
    call_start_at: iso(start),
    connected_at: iso(start + 11_000),
    call_duration: '95',
    conversation_duration: '84',
    queue_name: 'null',
    ring_group_name: 'null',
  };
}
