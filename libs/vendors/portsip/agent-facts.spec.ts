import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  portsipAgentQueueStatuses,
  portsipCallActivity,
  portsipExtensionRecord,
  portsipExtensionStatuses,
  portsipQueueAgentFacts,
} from './index';

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(join(__dirname, '__fixtures__', `${name}.json`), 'utf8'));

describe('PortSIP agent facts', () => {
  it('portsipCallActivity: empty is IDLE (documented), absent or unknown says nothing', () => {
    expect(
      ['ON_CALL', ' on_acll ', 'Ringing', '', '  ', 'idle', undefined, null, 'null', 'DIALING', 5].map(
        portsipCallActivity,
      ),
    ).toEqual(['ON_CALL', 'ON_CALL', 'RINGING', 'IDLE', 'IDLE', 'IDLE', null, null, null, null, null]);
  });

  it('portsipExtensionStatuses reads every status[] entry of extension_status', () => {
    expect(portsipExtensionStatuses(fixture('extension_status'))).toEqual([
      {
        extension: '101',
        extensionId: '794493219508322304',
        online: false,
        presence: 'AWAY',
        presenceNote: null,
        callActivity: 'ON_CALL',
        at: new Date(1704186780 * 1000),
      },
      {
        extension: '102',
        extensionId: '794493219718037504',
        online: false,
        presence: 'ONLINE',
        presenceNote: null,
        callActivity: 'ON_CALL',
        at: new Date(1704186780 * 1000),
      },
    ]);
  });

  it('portsipExtensionStatuses reads the top level of the other extension pushes, claiming only what they carry', () => {
    expect(portsipExtensionStatuses(fixture('extension_presence'))).toEqual([
      {
        extension: '101',
        extensionId: '792406615960584220',
        online: null,
        presence: 'ONLINE', // AVAILABLE
        presenceNote: 'Driving',
        callActivity: null,
        at: new Date(1703690547 * 1000),
      },
    ]);
    expect(portsipExtensionStatuses(fixture('extension_call'))[0]).toMatchObject({
      callActivity: 'ON_CALL',
      presence: null,
    });
    expect(portsipExtensionStatuses({ status: [null, 'x', { extension: 7, online: 'true' }] })).toEqual([
      {
        extension: '7',
        extensionId: null,
        online: true,
        presence: null,
        presenceNote: null,
        callActivity: null,
        at: null,
      },
    ]);
    expect(portsipExtensionStatuses(null)).toHaveLength(1);
  });

  it('portsipAgentQueueStatuses', () => {
    expect(portsipAgentQueueStatuses(fixture('extension_agent_status'))).toEqual([{ queue: '8002', state: 'READY' }]);
    expect(
      portsipAgentQueueStatuses({ agent_status: [{ queue_number: 8001, status: 'Online' }, { status: 'bogus' }, 3] }),
    ).toEqual([
      { queue: '8001', state: 'LOGGED_OUT' },
      { queue: null, state: null },
    ]);
  });

  it('portsipQueueAgentFacts reads updated, snapshot and removed agents', () => {
    const line = {
      agent: '101',
      state: 'QUEUE_CALL',
      removed: false,
      sessionId: '677046776364007',
      at: new Date(1676206249 * 1000),
    };
    expect(portsipQueueAgentFacts(fixture('queue_agent_status'))).toEqual({
      queueId: '677046776364007424',
      queueNumber: null,
      agents: [
        { ...line, snapshot: false },
        { agent: '102', state: null, removed: true, snapshot: false, sessionId: null, at: null },
      ],
    });
    expect(portsipQueueAgentFacts(fixture('queue_status'))).toEqual({
      queueId: '677046776364007424',
      queueNumber: '8001',
      agents: [{ ...line, snapshot: true }],
    });
  });

  it('portsipExtensionRecord', () => {
    expect(portsipExtensionRecord(fixture('extension_created'))).toEqual({
      number: '1001',
      extensionId: '823634238409396',
      name: 'Jason Wek',
      username: 'testuser1',
      email: 'test@test.com',
      department: null,
      enabled: true,
    });
    expect(portsipExtensionRecord({ extension_number: 'sip:1002@pbx', enabled: 'false' })).toMatchObject({
      number: '1002',
      enabled: false,
    });
  });
});
