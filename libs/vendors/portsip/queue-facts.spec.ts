import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { portsipQueueCallers, portsipQueueCallerType, portsipQueueIdentity } from './index';

type Json = Record<string, unknown>;
const fixture = (name: string): Json =>
  JSON.parse(readFileSync(join(__dirname, '__fixtures__', `${name}.json`), 'utf8')) as Json;

const Q_ID = '677046776364007424';
const AT = new Date(1676206249_000);

describe('portsipQueueIdentity', () => {
  it('reads id, number and name; absent spellings are null', () => {
    expect(portsipQueueIdentity(fixture('queue_status'))).toEqual({
      queueId: Q_ID,
      queueNumber: '8001',
      queueName: 'Sales Department',
    });
    expect(portsipQueueIdentity(fixture('queue_caller_status'))).toEqual({
      queueId: Q_ID,
      queueNumber: null,
      queueName: null,
    });
    expect(portsipQueueIdentity(fixture('queue_created'))).toEqual({
      queueId: null,
      queueNumber: '8800',
      queueName: null,
    });
    expect(portsipQueueIdentity({ queue_id: 42, queue_number: 'null', queue_name: ' ' })).toEqual({
      queueId: '42',
      queueNumber: null,
      queueName: null, // blank is absent, like every other null spelling
    });
    expect(portsipQueueIdentity(['not', 'an', 'object'])).toEqual({
      queueId: null,
      queueNumber: null,
      queueName: null,
    });
  });
});

describe('portsipQueueCallers', () => {
  it('reads updated_callers[] (the documented placeholder reason and type read as unknown)', () => {
    expect(portsipQueueCallers(fixture('queue_caller_status'))).toEqual([
      { snapshot: false, sessionId: '6763987198342', callerNumber: '123456', reason: null, callback: false, at: AT },
    ]);
  });

  it('reads waiting_list[] of a queue_status as snapshot lines (no reason; timestamp = when the caller entered)', () => {
    expect(portsipQueueCallers(fixture('queue_status'))).toEqual([
      { snapshot: true, sessionId: '6763987198342', callerNumber: '123456', reason: null, callback: false, at: AT },
    ]);
  });

  it('canonical reasons and types, SIP-URI callers, "0" time, non-objects skipped', () => {
    const payload = {
      updated_callers: [
        {
          session_id: 7,
          caller_number: 'sip:0299990000@pbx',
          reason: ' Agent_Answered ',
          type: 'CALLBACK',
          timestamp: 100,
        },
        'garbage',
        { session_id: '', reason: 'enqueue', type: 'normal', timestamp: '0' },
      ],
    };
    expect(portsipQueueCallers(payload)).toEqual([
      {
        snapshot: false,
        sessionId: '7',
        callerNumber: '0299990000',
        reason: 'agent_answered',
        callback: true,
        at: new Date(100_000),
      },
      { snapshot: false, sessionId: null, callerNumber: null, reason: 'enqueue', callback: false, at: null },
    ]);
    expect(portsipQueueCallers(null)).toEqual([]);
  });
});

describe('portsipQueueCallerType', () => {
  it.each([
    ['normal', 'normal'],
    [' Callback ', 'callback'],
    ['normal/callback', null],
    [1, null],
  ])('%j → %j', (value, expected) => {
    expect(portsipQueueCallerType(value)).toBe(expected);
  });
});
