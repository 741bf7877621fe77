import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { getVendorAdapter } from '@app/vendors';
import {
  foldQueueAttempts,
  QueueAttempt,
  QueueEvent,
  QueueFoldContext,
  queueMappings,
  splitQueueCallerStatus,
} from './queue-attempts.reducer';

type Json = Record<string, unknown>;
type Vendor = QueueEvent['vendor'];

const VENDORS_DIR = join(__dirname, '..', '..', '..', 'vendors');
const fixture = (vendor: Vendor, name: string): Json =>
  JSON.parse(readFileSync(join(VENDORS_DIR, vendor, '__fixtures__', `${name}.json`), 'utf8')) as Json;

/** Stored events as the projection would load them (type and occurredAt from the adapter). */
function stored(vendor: Vendor, payloads: readonly Json[], timezone = 'UTC', firstPosition = 1): QueueEvent[] {
  return payloads.map((payload, i) => {
    const parsed = getVendorAdapter(vendor).parse(payload, { timezone });
    return {
      position: String(firstPosition + i),
      vendor,
      type: parsed.type,
      occurredAt: parsed.occurredAt,
      receivedAt: new Date(Date.UTC(2030, 0, 1) + i * 1000),
      payload,
    };
  });
}

function context(queueNumbers: string[] = [], mappings: Array<[string, string]> = [], timezone?: string) {
  const ctx: QueueFoldContext = { queueNumbers: new Set(queueNumbers), queueIdToNumber: new Map(mappings) };
  if (timezone !== undefined) ctx.timezone = timezone;
  return ctx;
}

/** The fold with every Date as an ISO string, for readable expectations. */
function folded(id: string, events: readonly QueueEvent[], ctx: QueueFoldContext) {
  return foldQueueAttempts(id, events, ctx).map((a) => ({
    ...a,
    enteredAt: a.enteredAt.toISOString(),
    leftAt: a.leftAt?.toISOString() ?? null,
  }));
}

const iso = (unixSeconds: number): string => new Date(unixSeconds * 1000).toISOString();

// ---------------------------------------------------------------------------------------------
// PortSIP payload builders (field names as the vendor docs spell them)

const TENANT = '676398719834259456';
const Q_ID = '677046776364007424'; // the queue id of the documented examples
const Q2_ID = '677046776364007999';

type Reason = 'enqueue' | 'agent_answered' | 'overflow' | 'hangup' | 'callback';

/** A queue_caller_status push; entries are [session, reason, unix seconds, type?]. */
function callerStatus(entries: Array<[string, Reason, number, string?]>, queueId = Q_ID): Json {
  return {
    event_type: 'queue_caller_status',
    tenant_id: TENANT,
    queue_id: queueId,
    updated_callers: entries.map(([session, reason, at, type], i) => ({
      position: String(i + 1),
      session_id: session,
      caller_number: '61299990000',
      reason,
      timestamp: String(at),
      type: type ?? 'normal',
    })),
  };
}

function agentOnCall(session: string, agent: string, at: number, queueId = Q_ID): Json {
  return {
    event_type: 'queue_agent_status',
    queue_id: queueId,
    tenant_id: TENANT,
    updated_agents: [
      {
        state: 'QUEUE_CALL',
        agent_extension_number: agent,
        session_id: session,
        caller_number: '61299990000',
        timestamp: String(at),
      },
    ],
  };
}

interface TargetSpec {
  callee: string;
  start: number;
  answered?: number;
  ended: number;
  status?: string;
  endReason?: string;
  talk?: number;
  callType?: string;
}

function target(t: TargetSpec): Json {
  return {
    answered_time: String(t.answered ?? 0),
    call_type: t.callType ?? 'normal_call',
    callee: t.callee,
    caller: '61299990000',
    destination: `sip:${t.callee}@192.168.1.93:8916`,
    did: '',
    end_reason: t.endReason ?? 'None',
    ended_time: String(t.ended),
    id: '883611252155219968',
    outbound_caller_id: '',
    ring_duration: '0',
    ring_time: String(t.start),
    start_time: String(t.start),
    status: t.status ?? (t.answered !== undefined ? 'answered' : 'noanswer'),
    status_code: 0,
    talk_duration: String(t.talk ?? (t.answered !== undefined ? t.ended - t.answered : 0)),
    trunk_name: '122:883631675865563136',
  };
}

function callCdr(session: string, targets: TargetSpec[], endReason = 'callee_disconnect'): Json {
  const start = Math.min(...targets.map((t) => t.start));
  const end = Math.max(...targets.map((t) => t.ended));
  const answered = targets.find((t) => t.answered !== undefined)?.answered;
  return {
    event_type: 'call_cdr',
    session_id: session,
    call_id: `call-${session}`,
    caller: '61299990000',
    callee: targets[0]?.callee ?? '8000',
    direction: 'inbound',
    call_status: answered !== undefined ? 'answered' : 'noanswer',
    start_time: String(start),
    ring_time: String(start),
    answered_time: String(answered ?? 0),
    ended_time: String(end),
    ended_reason: endReason,
    status_code: '0',
    talk_duration: 0,
    tenant_id: TENANT,
    call_targets: targets.map(target),
  };
}

// ---------------------------------------------------------------------------------------------
// PortSIP

const PS_SESSION = '885337248273272832';
const ENTER = 1725845655; // the example's queue target start
const cdr = (): Json => fixture('portsip', 'call_cdr');

describe('PortSIP call_cdr', () => {
  it('the example: queue 8000 entered at 1725845655, answered by 102 after 7 s, talk 7', () => {
    expect(folded(PS_SESSION, stored('portsip', [cdr()]), context(['8000']))).toEqual([
      {
        attemptKey: 'queue:8000@1725845655',
        queue: '8000',
        kind: 'queue',
        enteredAt: iso(ENTER), // the 8000 target's start_time
        leftAt: iso(1725845662), // 102 answered (and the queue target ended, referred)
        outcome: 'ANSWERED',
        waitSeconds: 7,
        answeredBy: '102', // rang at 656, while the caller waited; the IVR 5000 was before the queue
        talkSeconds: 7, // 102's talk_duration
        callback: false,
      },
    ]);
  });

  it('recognises the queue by number (ctx.queueNumbers or a mapped number) or by call_type, else sees none', () => {
    expect(foldQueueAttempts(PS_SESSION, stored('portsip', [cdr()]), context())).toEqual([]);
    const byMapping = foldQueueAttempts(PS_SESSION, stored('portsip', [cdr()]), context([], [[Q_ID, '8000']]));
    expect(byMapping.map((a) => a.attemptKey)).toEqual(['queue:8000@1725845655']);
    const typed = cdr();
    (typed['call_targets'] as Json[])[1]['call_type'] = 'queue_call';
    expect(folded(PS_SESSION, stored('portsip', [typed]), context())).toEqual(
      folded(PS_SESSION, stored('portsip', [cdr()]), context(['8000'])),
    );
  });

  it('a queue_callback_call target is a queue attempt flagged callback', () => {
    const typed = cdr();
    (typed['call_targets'] as Json[])[1]['call_type'] = 'queue_callback_call';
    expect(foldQueueAttempts(PS_SESSION, stored('portsip', [typed]), context())[0]).toMatchObject({
      queue: '8000',
      outcome: 'ANSWERED',
      callback: true,
    });
  });

  const S = 'cdr-only';
  it.each([
    // [what, targets, call end reason, outcome, leftAt, wait]
    [
      'caller hung up in the queue',
      [{ callee: '8000', start: 1000, answered: 1000, ended: 1030, endReason: 'caller_disconnect' }],
      'caller_disconnect',
      'ABANDONED',
      1030,
      30,
    ],
    [
      'passed on to voicemail (starts as the queue target ends: an overflow, not an agent)',
      [
        { callee: '8000', start: 1000, answered: 1000, ended: 1050, endReason: 'referred' },
        { callee: '9999', start: 1050, answered: 1050, ended: 1080 },
      ],
      'caller_disconnect',
      'TIMED_OUT',
      1050,
      50,
    ],
    [
      'an agent rang but did not answer, then the caller hung up (end reason None: the call ended there)',
      [
        { callee: '8000', start: 1000, answered: 1000, ended: 1040 },
        { callee: '101', start: 1002, ended: 1040, status: 'noanswer' },
      ],
      'caller_disconnect',
      'ABANDONED',
      1040,
      40,
    ],
    [
      'the queue ended the call (callee_disconnect on the call, nothing after the queue)',
      [{ callee: '8000', start: 1000, answered: 1000, ended: 1300 }],
      'callee_disconnect',
      'TIMED_OUT',
      1300,
      300,
    ],
    [
      'a failed queue target',
      [{ callee: '8000', start: 1000, ended: 1000, status: 'fail' }],
      'None',
      'TIMED_OUT',
      1000,
      0,
    ],
  ] as const)('CDR only: %s', (_what, targets, endReason, outcome, leftAt, wait) => {
    const events = stored('portsip', [
      callCdr(
        S,
        targets.map((t) => ({ ...t })),
        endReason,
      ),
    ]);
    expect(folded(S, events, context(['8000']))).toEqual([
      expect.objectContaining({ queue: '8000', enteredAt: iso(1000), outcome, leftAt: iso(leftAt), waitSeconds: wait }),
    ]);
  });

  it('two stays in the same queue are two attempts; a target listed twice is one', () => {
    const twice = callCdr(S, [
      { callee: '8000', start: 1000, answered: 1000, ended: 1060, endReason: 'referred' },
      { callee: '5000', start: 1060, answered: 1060, ended: 1070, endReason: 'referred' }, // back through the IVR
      { callee: '8000', start: 1070, answered: 1070, ended: 1080, endReason: 'referred' },
      { callee: '102', start: 1071, answered: 1080, ended: 1200, talk: 120 },
    ]);
    expect(folded(S, stored('portsip', [twice]), context(['8000']))).toEqual([
      expect.objectContaining({ attemptKey: 'queue:8000@1000', outcome: 'TIMED_OUT', waitSeconds: 60 }),
      expect.objectContaining({
        attemptKey: 'queue:8000@1070',
        outcome: 'ANSWERED',
        answeredBy: '102',
        talkSeconds: 120,
      }),
    ]);
    const listedTwice = callCdr(S, [
      { callee: '8000', start: 1000, answered: 1000, ended: 1010, endReason: 'referred' },
      { callee: '8000', start: 1000, answered: 1000, ended: 1010, endReason: 'referred' },
      { callee: '101', start: 1001, answered: 1010, ended: 1020 },
    ]);
    expect(foldQueueAttempts(S, stored('portsip', [listedTwice]), context(['8000']))).toHaveLength(1);
  });

  it('a ring_group_call target is a ring-group attempt', () => {
    const rg = callCdr(S, [
      { callee: '6000', start: 1000, answered: 1000, ended: 1012, endReason: 'referred', callType: 'ring_group_call' },
      { callee: '201', start: 1000, answered: 1012, ended: 1100 },
    ]);
    expect(folded(S, stored('portsip', [rg]), context())).toEqual([
      expect.objectContaining({
        attemptKey: 'ring_group:6000@1000',
        kind: 'ring_group',
        answeredBy: '201',
        waitSeconds: 12,
      }),
    ]);
  });
});

describe('PortSIP queue_caller_status', () => {
  const S = 'caller-1';
  const fold = (payloads: Json[], ctx = context([], [[Q_ID, '8001']])) => folded(S, stored('portsip', payloads), ctx);

  it('enqueue → WAITING; then agent_answered → ANSWERED; the agent comes from queue_agent_status', () => {
    expect(fold([callerStatus([[S, 'enqueue', 1000]])])).toEqual([
      {
        attemptKey: 'queue:8001@1000',
        queue: '8001',
        kind: 'queue',
        enteredAt: iso(1000),
        leftAt: null,
        outcome: 'WAITING',
        waitSeconds: null,
        answeredBy: null,
        talkSeconds: null,
        callback: false,
      },
    ]);
    expect(
      fold([
        callerStatus([[S, 'enqueue', 1000]]),
        callerStatus([[S, 'agent_answered', 1012]]),
        agentOnCall(S, '101', 1012),
      ]),
    ).toEqual([
      expect.objectContaining({ outcome: 'ANSWERED', leftAt: iso(1012), waitSeconds: 12, answeredBy: '101' }),
    ]);
  });

  it.each([
    ['hangup', 'ABANDONED', false],
    ['overflow', 'TIMED_OUT', false],
    ['callback', 'CALLBACK', true],
  ] as const)('reason %s → %s', (reason, outcome, callback) => {
    expect(fold([callerStatus([[S, 'enqueue', 1000]]), callerStatus([[S, reason, 1030]])])).toEqual([
      expect.objectContaining({ outcome, waitSeconds: 30, callback, answeredBy: null }),
    ]);
  });

  it('an unmapped queue_id is the queue label until a mapping arrives, then the same attempt is relabelled', () => {
    const payloads = [callerStatus([[S, 'enqueue', 1000]]), callerStatus([[S, 'hangup', 1009]])];
    expect(fold(payloads, context())).toEqual([
      expect.objectContaining({ attemptKey: `queue:${Q_ID}@1000`, queue: Q_ID, outcome: 'ABANDONED', waitSeconds: 9 }),
    ]);
    // The documented queue_status example maps this id to 8001.
    const mapping = queueMappings(fixture('portsip', 'queue_status'));
    const mapped = context(
      [],
      mapping.map((m): [string, string] => [m.queueId, m.queueNumber]),
    );
    expect(fold(payloads, mapped)).toEqual([
      expect.objectContaining({ attemptKey: 'queue:8001@1000', queue: '8001', outcome: 'ABANDONED', waitSeconds: 9 }),
    ]);
  });

  it('answered in the second it entered is a zero-second answer, not a new wait', () => {
    expect(fold([callerStatus([[S, 'agent_answered', 1000]]), callerStatus([[S, 'enqueue', 1000]])])).toEqual([
      expect.objectContaining({ outcome: 'ANSWERED', waitSeconds: 0 }),
    ]);
  });

  it('a repeated enqueue is the same wait; a leave after the caller left is ignored; re-entering is a new attempt', () => {
    const payloads = [
      callerStatus([[S, 'enqueue', 1000]]),
      callerStatus([[S, 'enqueue', 1004]]), // e.g. a position change re-sent as enqueue
      callerStatus([[S, 'agent_answered', 1010]]),
      callerStatus([[S, 'hangup', 1200]]), // the answered caller hanging up later is not a queue event
      callerStatus([[S, 'enqueue', 1300]]), // transferred back into the queue
      callerStatus([[S, 'overflow', 1360]]),
    ];
    expect(fold(payloads).map((a) => [a.attemptKey, a.outcome, a.waitSeconds])).toEqual([
      ['queue:8001@1000', 'ANSWERED', 10],
      ['queue:8001@1300', 'TIMED_OUT', 60],
    ]);
  });

  it('a queue_status waiting line recovers a lost enqueue (its timestamp is when the caller entered)', () => {
    const snapshot = {
      ...fixture('portsip', 'queue_status'),
      waiting_list: [{ position: '1', session_id: S, caller_number: '123456', timestamp: '1000', type: 'callback' }],
      agents: [],
    };
    expect(fold([snapshot, callerStatus([[S, 'agent_answered', 1025]])])).toEqual([
      expect.objectContaining({ queue: '8001', outcome: 'ANSWERED', waitSeconds: 25, callback: true }),
    ]);
  });

  it('a leave with no enter is dropped (it cannot be placed in an interval), entries of other calls are ignored', () => {
    const batch = callerStatus([
      ['someone-else', 'enqueue', 990],
      [S, 'hangup', 1000],
    ]);
    expect(fold([batch])).toEqual([]);
  });

  it('the documented example (placeholder reason "enqueue/agent_answered/...") gives no attempt', () => {
    const example = fixture('portsip', 'queue_caller_status');
    expect(foldQueueAttempts('6763987198342', stored('portsip', [example]), context())).toEqual([]);
  });

  it('a call_cdr closes a wait whose leave never came (the call is over)', () => {
    const open = callerStatus([[S, 'enqueue', 1000]], Q2_ID); // a queue the CDR does not show
    const end = callCdr(S, [{ callee: '5000', start: 990, answered: 990, ended: 1045 }], 'caller_disconnect');
    expect(fold([open, end], context([], [[Q2_ID, '8002']]))).toEqual([
      expect.objectContaining({ queue: '8002', outcome: 'ABANDONED', leftAt: iso(1045), waitSeconds: 45 }),
    ]);
  });
});

describe('merging queue_caller_status with the call_cdr queue target', () => {
  const status = (enter: number, leave: number, reason: Reason = 'agent_answered'): Json[] => [
    callerStatus([[PS_SESSION, 'enqueue', enter]]),
    callerStatus([[PS_SESSION, reason, leave]]),
  ];
  const mapped = context([], [[Q_ID, '8000']]);
  const expected = folded(PS_SESSION, stored('portsip', [cdr()]), context(['8000']));

  it('same call, same queue, same stay: ONE attempt, identical to the CDR-only one', () => {
    const events = stored('portsip', [...status(ENTER, 1725845662), cdr()]);
    expect(folded(PS_SESSION, events, mapped)).toEqual(expected);
  });

  it('the caller-status enter wins (the queue’s own waiting-list entry), within the 5 s slack', () => {
    const events = stored('portsip', [...status(ENTER + 2, 1725845662), cdr()]);
    expect(folded(PS_SESSION, events, mapped)).toEqual([
      { ...expected[0], attemptKey: `queue:8000@${ENTER + 2}`, enteredAt: iso(ENTER + 2), waitSeconds: 5 },
    ]);
  });

  it('the caller-status leave and outcome win over the CDR’s reading', () => {
    // The CDR alone cannot see a callback choice: it reads an answered target after it as the agent.
    const events = stored('portsip', [...status(ENTER, 1725845660, 'callback'), cdr()]);
    expect(folded(PS_SESSION, events, mapped)).toEqual([
      expect.objectContaining({ outcome: 'CALLBACK', leftAt: iso(1725845660), answeredBy: null, callback: true }),
    ]);
  });

  it('an unmapped id merges with a known queue number no other id claims (label: the number)', () => {
    const events = stored('portsip', [...status(ENTER, 1725845662), cdr()]);
    expect(folded(PS_SESSION, events, context(['8000']))).toEqual(expected);
    // ...but not with a number another id is known to own.
    const owned = context(['8000'], [[Q2_ID, '8000']]);
    expect(folded(PS_SESSION, events, owned).map((a) => a.queue)).toEqual([Q_ID, '8000']); // same enter: by queue text
  });

  it('an unmapped id and an unrecognised target (normal_call, number unknown): the target starting at the enqueue', () => {
    const events = stored('portsip', [...status(ENTER, 1725845662), cdr()]);
    expect(folded(PS_SESSION, events, context())).toEqual(expected);
  });

  it('a leave-only caller status (enqueue lost) merges and takes its enter from the CDR', () => {
    const events = stored('portsip', [callerStatus([[PS_SESSION, 'agent_answered', 1725845662]]), cdr()]);
    expect(folded(PS_SESSION, events, mapped)).toEqual(expected);
  });

  it('a different queue, or a stay that does not overlap, is not merged', () => {
    const other = stored('portsip', [...status(ENTER, 1725845662).map((p) => ({ ...p, queue_id: Q2_ID })), cdr()]);
    expect(
      foldQueueAttempts(
        PS_SESSION,
        other,
        context(
          [],
          [
            [Q_ID, '8000'],
            [Q2_ID, '8002'],
          ],
        ),
      ),
    ).toHaveLength(2);
    const later = stored('portsip', [...status(ENTER + 30, ENTER + 40, 'hangup'), cdr()]);
    expect(folded(PS_SESSION, later, mapped).map((a) => [a.attemptKey, a.outcome])).toEqual([
      ['queue:8000@1725845655', 'ANSWERED'],
      ['queue:8000@1725845685', 'ABANDONED'],
    ]);
  });
});

describe('splitQueueCallerStatus and queueMappings', () => {
  it('splits a push naming several calls into per-call facts', () => {
    const push = callerStatus([
      ['a', 'enqueue', 1000, 'normal'],
      ['b', 'callback', 1001, 'callback'],
      ['c', 'nonsense' as Reason, 1002],
    ]);
    expect(splitQueueCallerStatus(push)).toEqual([
      {
        sessionId: 'a',
        queueId: Q_ID,
        step: 'enter',
        at: new Date(1000_000),
        callback: false,
        agent: null,
        callerNumber: '61299990000',
      },
      {
        sessionId: 'b',
        queueId: Q_ID,
        step: 'callback',
        at: new Date(1001_000),
        callback: true,
        agent: null,
        callerNumber: '61299990000',
      },
      {
        sessionId: 'c',
        queueId: Q_ID,
        step: null,
        at: new Date(1002_000),
        callback: false,
        agent: null,
        callerNumber: '61299990000',
      },
    ]);
  });

  it('reads the documented examples', () => {
    const at = new Date(1676206249_000);
    expect(splitQueueCallerStatus(fixture('portsip', 'queue_caller_status'))).toEqual([
      {
        sessionId: '6763987198342',
        queueId: Q_ID,
        step: null,
        at,
        callback: false,
        agent: null,
        callerNumber: '123456',
      },
    ]);
    expect(splitQueueCallerStatus(fixture('portsip', 'queue_agent_status'))).toEqual([
      {
        sessionId: '677046776364007',
        queueId: Q_ID,
        step: 'agent_on_call',
        at,
        callback: false,
        agent: '101',
        callerNumber: null,
      },
    ]);
    expect(splitQueueCallerStatus(fixture('portsip', 'queue_status'))).toEqual([
      {
        sessionId: '6763987198342',
        queueId: Q_ID,
        step: 'enter',
        at,
        callback: false,
        agent: null,
        callerNumber: '123456',
      },
      {
        sessionId: '677046776364007',
        queueId: Q_ID,
        step: 'agent_on_call',
        at,
        callback: false,
        agent: '101',
        callerNumber: null,
      },
    ]);
    expect(splitQueueCallerStatus(null)).toEqual([]);
    expect(splitQueueCallerStatus({ updated_callers: [{ session_id: 'x', reason: 'enqueue' }] })).toEqual([]); // no queue_id
  });

  it('maps queue ids to numbers from queue_status; queue_created has no id', () => {
    expect(queueMappings(fixture('portsip', 'queue_status'))).toEqual([
      { queueId: Q_ID, queueNumber: '8001', queueName: 'Sales Department' },
    ]);
    expect(queueMappings(fixture('portsip', 'queue_created'))).toEqual([]);
    expect(queueMappings({ queue_id: 7, queue_number: 8005, queue_name: '' })).toEqual([
      { queueId: '7', queueNumber: '8005', queueName: null },
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// VoIPcloud

const SYD = 'Australia/Sydney';

describe('VoIPcloud summaries', () => {
  it('queue_call answered: enter call_start_at, wait connected_at − call_start_at, talk conversation_duration', () => {
    const events = stored('voipcloud', [fixture('voipcloud', 'queue_call')], SYD);
    expect(folded('1769476800.88', events, context([], [], SYD))).toEqual([
      {
        attemptKey: 'queue:Sales@1769476800',
        queue: 'Sales',
        kind: 'queue',
        enteredAt: '2026-01-27T01:20:00.000Z', // 12:20:00+11:00
        leftAt: '2026-01-27T01:20:25.000Z', // connected_at
        outcome: 'ANSWERED',
        waitSeconds: 25,
        answeredBy: '201',
        talkSeconds: 155,
        callback: false,
      },
    ]);
  });

  it('ring_group_call abandoned: wait = call_duration ("32" as a string)', () => {
    const events = stored('voipcloud', [fixture('voipcloud', 'ring_group_call')], SYD);
    expect(folded('1769477100.91', events, context([], [], SYD))).toEqual([
      {
        attemptKey: 'ring_group:Support@1769477100',
        queue: 'Support',
        kind: 'ring_group',
        enteredAt: '2026-01-27T01:25:00.000Z',
        leftAt: '2026-01-27T01:25:32.000Z',
        outcome: 'ABANDONED',
        waitSeconds: 32,
        answeredBy: null,
        talkSeconds: null,
        callback: false,
      },
    ]);
  });

  it('timedout; zone-less times in ctx.timezone; a summary without call_start_at is skipped', () => {
    const timedOut = {
      ...fixture('voipcloud', 'queue_call'),
      call_start_at: '2026-01-27 12:30:00',
      connected_at: null,
      user_number: '',
      call_duration: '61',
      conversation_duration: 0,
      status: 'timedout',
    };
    const noStart = { ...fixture('voipcloud', 'queue_call'), call_start_at: null, queue_name: 'Other' };
    expect(folded('x', stored('voipcloud', [timedOut, noStart], SYD), context([], [], SYD))).toEqual([
      expect.objectContaining({
        queue: 'Sales',
        enteredAt: '2026-01-27T01:30:00.000Z',
        outcome: 'TIMED_OUT',
        waitSeconds: 61,
        answeredBy: null,
      }),
    ]);
  });

  it('two different summaries are two attempts; a re-delivered one is not', () => {
    const q = fixture('voipcloud', 'queue_call');
    const again = { ...q, status: 'abandoned', connected_at: null, call_duration: 40 };
    const events = stored('voipcloud', [q, again, structuredClone(q)], SYD);
    expect(foldQueueAttempts('1769476800.88', events, context([], [], SYD)).map((a) => a.attemptKey)).toEqual([
      'queue:Sales@1769476800',
      'queue:Sales@1769476800#2',
    ]);
  });

  it('Nexbro events and non-queue types give nothing', () => {
    const nexbro: QueueEvent = {
      position: '1',
      vendor: 'nexbro',
      type: 'CALL_RINGING',
      occurredAt: new Date(0),
      receivedAt: new Date(0),
      payload: { event: 'CALL_RINGING', call_uuid: 'n', destination_number: '8000' },
    };
    const inbound = stored('voipcloud', [fixture('voipcloud', 'user_inbound')], SYD);
    expect(foldQueueAttempts('n', [nexbro, ...inbound], context(['8000'], [], SYD))).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// Order independence

/** The events in any order, with exact duplicates and later re-deliveries (new position, later receipt). */
function shuffledWithDuplicates(events: QueueEvent[]): fc.Arbitrary<QueueEvent[]> {
  if (events.length === 0) return fc.constant([]);
  return fc
    .tuple(fc.array(fc.nat(events.length - 1), { maxLength: 4 }), fc.array(fc.nat(events.length - 1), { maxLength: 4 }))
    .chain(([copies, redeliveries]) => {
      const all = [
        ...events,
        ...copies.map((i) => events[i]),
        ...redeliveries.map((i, k) => ({
          ...events[i],
          position: String(10_000 + k),
          receivedAt: new Date(events[i].receivedAt.getTime() + 3_600_000 * (k + 1)),
          payload: structuredClone(events[i].payload),
        })),
      ];
      return fc.shuffledSubarray(all, { minLength: all.length, maxLength: all.length });
    });
}

const OUTCOMES = ['agent_answered', 'hangup', 'overflow', 'callback', 'waiting'] as const;
const QUEUES: ReadonlyArray<{ id: string; number: string }> = [
  { id: Q_ID, number: '8000' },
  { id: Q2_ID, number: '8001' },
];

interface Pass {
  queue: number;
  gap: number;
  wait: number;
  outcome: (typeof OUTCOMES)[number];
  agent: string;
  talk: number;
  enqueue: boolean;
  agentStatus: boolean;
  snapshot: boolean;
  batched: boolean;
  typed: boolean;
}

const passArb: fc.Arbitrary<Pass> = fc.record({
  queue: fc.nat(1),
  gap: fc.integer({ min: 1, max: 20 }),
  wait: fc.nat(40),
  outcome: fc.constantFrom(...OUTCOMES),
  agent: fc.constantFrom('101', '102'),
  talk: fc.nat(120),
  enqueue: fc.boolean(),
  agentStatus: fc.boolean(),
  snapshot: fc.boolean(),
  batched: fc.boolean(),
  typed: fc.boolean(),
});

interface Scenario {
  passes: Pass[];
  withStatus: boolean;
  withCdr: boolean;
}

const PSESSION = 'prop-1';

/** Events of one PortSIP call passing through queues, as caller status and/or call_cdr report it. */
function portsipScenario(s: Scenario): QueueEvent[] {
  const payloads: Json[] = [];
  const targets: TargetSpec[] = [
    { callee: '5000', start: 1_772_000_000, answered: 1_772_000_000, ended: 1_772_000_005 },
  ];
  let t = 1_772_000_005;
  for (const p of s.passes) {
    const q = QUEUES[p.queue];
    const enter = t + p.gap;
    const leave = enter + p.wait;
    if (s.withStatus) {
      if (p.enqueue) {
        const entries: Array<[string, Reason, number]> = [[PSESSION, 'enqueue', enter]];
        if (p.batched) entries.unshift(['another-call', 'enqueue', enter]);
        payloads.push(callerStatus(entries, q.id));
      }
      if (p.snapshot) {
        payloads.push({
          event_type: 'queue_status',
          queue_id: q.id,
          queue_number: q.number,
          waiting_list: [{ position: '1', session_id: PSESSION, timestamp: String(enter), type: 'normal' }],
          agents: [],
        });
      }
      if (p.outcome !== 'waiting') payloads.push(callerStatus([[PSESSION, p.outcome, leave]], q.id));
      if (p.outcome === 'agent_answered' && p.agentStatus) payloads.push(agentOnCall(PSESSION, p.agent, leave, q.id));
    }
    const ended = p.outcome === 'waiting' ? leave + 5 : leave;
    const callType = p.typed ? 'queue_call' : 'normal_call';
    const reason = p.outcome === 'hangup' || p.outcome === 'callback' ? 'caller_disconnect' : 'referred';
    targets.push({ callee: q.number, start: enter, answered: enter, ended, endReason: reason, callType });
    if (p.outcome === 'agent_answered') {
      targets.push({ callee: p.agent, start: Math.min(enter + 1, leave), answered: leave, ended: leave + p.talk });
    }
    t = p.outcome === 'agent_answered' ? leave + p.talk : ended;
  }
  if (s.withCdr) payloads.push(callCdr(PSESSION, targets, 'caller_disconnect'));
  return stored('portsip', payloads);
}

const scenarioArb: fc.Arbitrary<Scenario> = fc.record({
  passes: fc.array(passArb, { minLength: 1, maxLength: 3 }),
  withStatus: fc.boolean(),
  withCdr: fc.boolean(),
});

const ctxArb: fc.Arbitrary<QueueFoldContext> = fc
  .record({ mapped: fc.subarray([0, 1]), known: fc.subarray(['8000', '8001']) })
  .map(({ mapped, known }) =>
    context(
      known,
      mapped.map((i): [string, string] => [QUEUES[i].id, QUEUES[i].number]),
    ),
  );

const voipcloudArb: fc.Arbitrary<QueueEvent[]> = fc
  .array(
    fc.record({
      type: fc.constantFrom('queue_call', 'ring_group_call'),
      name: fc.constantFrom('Sales', 'Support'),
      status: fc.constantFrom('answered', 'abandoned', 'timedout', 'bogus'),
      start: fc.nat(3),
      wait: fc.nat(60),
      talk: fc.nat(200),
      asString: fc.boolean(),
    }),
    { maxLength: 3 },
  )
  .map((summaries) =>
    stored(
      'voipcloud',
      summaries.map((s) => {
        const start = Date.UTC(2026, 0, 27, 1, s.start * 10);
        const answered = s.status === 'answered';
        return {
          type: s.type,
          unique_call_id: 'vc-1',
          caller_id: '+61399990000',
          user_number: answered ? '201' : null,
          call_start_at: new Date(start).toISOString(),
          connected_at: answered ? new Date(start + s.wait * 1000).toISOString() : null,
          call_duration: s.asString ? String(s.wait + s.talk) : s.wait + s.talk,
          conversation_duration: answered ? s.talk : 0,
          [s.type === 'queue_call' ? 'queue_name' : 'ring_group_name']: s.name,
          status: s.status,
        };
      }),
      SYD,
    ),
  );

describe('order independence (fast-check)', () => {
  it('PortSIP: any permutation with duplicates folds like the canonical order', () => {
    fc.assert(
      fc.property(
        scenarioArb
          .map(portsipScenario)
          .chain((events) => fc.tuple(fc.constant(events), shuffledWithDuplicates(events))),
        ctxArb,
        ([canonical, shuffled], ctx) => {
          expect(foldQueueAttempts(PSESSION, shuffled, ctx)).toStrictEqual(foldQueueAttempts(PSESSION, canonical, ctx));
        },
      ),
      { numRuns: 400 },
    );
  });

  it('VoIPcloud: any permutation with duplicates folds like the canonical order', () => {
    fc.assert(
      fc.property(
        voipcloudArb.chain((events) => fc.tuple(fc.constant(events), shuffledWithDuplicates(events))),
        ([canonical, shuffled]) => {
          const ctx = context([], [], SYD);
          expect(foldQueueAttempts('vc-1', shuffled, ctx)).toStrictEqual(foldQueueAttempts('vc-1', canonical, ctx));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('PortSIP: caller status and CDR of the same stays never double-count, and the caller status decides', () => {
    fc.assert(
      fc.property(scenarioArb, fc.boolean(), (s, mapped) => {
        // A leave the caller status never reported, followed later by re-entering the same queue, reads
        // as one long wait there (documented limitation); a stay may stay open otherwise.
        const passes = s.passes.map((p, i, all) => ({
          ...p,
          enqueue: true,
          outcome:
            p.outcome === 'waiting' && all.slice(i + 1).some((q) => q.queue === p.queue)
              ? ('hangup' as const)
              : p.outcome,
        }));
        const scenario = { ...s, withStatus: true, withCdr: true, passes };
        const ctx = mapped
          ? context(
              [],
              QUEUES.map((q): [string, string] => [q.id, q.number]),
            )
          : context(['8000', '8001']);
        const attempts = foldQueueAttempts(PSESSION, portsipScenario(scenario), ctx);
        expect(attempts).toHaveLength(scenario.passes.length);
        const expected: Record<Pass['outcome'], QueueAttempt['outcome']> = {
          agent_answered: 'ANSWERED',
          hangup: 'ABANDONED',
          overflow: 'TIMED_OUT',
          callback: 'CALLBACK',
          waiting: 'TIMED_OUT', // the CDR shows the queue target referred on
        };
        expect(attempts.map((a) => [a.queue, a.outcome, a.waitSeconds])).toEqual(
          scenario.passes.map((p) => [
            QUEUES[p.queue].number,
            expected[p.outcome],
            p.outcome === 'waiting' ? p.wait + 5 : p.wait,
          ]),
        );
        for (const a of attempts) if (a.outcome === 'ANSWERED') expect(a.talkSeconds).not.toBeNull();
      }),
      { numRuns: 300 },
    );
  });

  it('every fold is sane: unique keys, whole non-negative waits, WAITING exactly when not left', () => {
    fc.assert(
      fc.property(scenarioArb.map(portsipScenario), ctxArb, (events, ctx) => {
        const attempts = foldQueueAttempts(PSESSION, events, ctx);
        expect(new Set(attempts.map((a) => a.attemptKey)).size).toBe(attempts.length);
        for (const a of attempts) {
          expect(a.leftAt === null).toBe(a.outcome === 'WAITING');
          expect(a.waitSeconds === null).toBe(a.outcome === 'WAITING');
          if (a.waitSeconds !== null) expect(Number.isInteger(a.waitSeconds) && a.waitSeconds >= 0).toBe(true);
          if (a.outcome !== 'ANSWERED') expect([a.answeredBy, a.talkSeconds]).toEqual([null, null]);
        }
      }),
      { numRuns: 300 },
    );
  });
});
