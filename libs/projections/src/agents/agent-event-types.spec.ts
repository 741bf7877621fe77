import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getVendorAdapter } from '@app/vendors';
import {
  mayNameDirectoryExtension,
  mayYieldAgentChanges,
  statedQueueMapping,
  unmappedQueueId,
} from './agent-event-types';
import { AgentContext, AgentEvent, agentChanges } from './agent-segments.reducer';
import { directoryExtensions } from './extension-directory.reducer';

type Vendor = AgentEvent['vendor'];
const VENDORS: Vendor[] = ['nexbro', 'portsip', 'voipcloud'];
const VENDORS_DIR = join(__dirname, '..', '..', '..', 'vendors');
const CTX: AgentContext = { extensionPattern: /^\d{2,5}$/, timezone: 'UTC' };

/** Every payload of every vendor fixture (array deliveries split), as stored events. */
function fixtureEvents(): AgentEvent[] {
  const out: AgentEvent[] = [];
  for (const vendor of VENDORS) {
    const dir = join(VENDORS_DIR, vendor, '__fixtures__');
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
      let body: unknown;
      try {
        body = JSON.parse(readFileSync(join(dir, file), 'utf8'));
      } catch {
        continue; // the vendors' documented examples include invalid JSON
      }
      for (const payload of Array.isArray(body) ? body : [body]) {
        const parsed = getVendorAdapter(vendor).parse(payload, {
          timezone: 'UTC',
          extensionPattern: CTX.extensionPattern,
        });
        out.push({
          position: String(out.length + 1),
          vendor,
          type: parsed.type,
          occurredAt: parsed.occurredAt,
          receivedAt: new Date('2030-01-01T00:00:00Z'),
          payload,
        });
      }
    }
  }
  return out;
}

/** PortSIP target events as the CDR stream sends them (not among the fixtures). */
const targetEvents: AgentEvent[] = [
  'cdr_target_ringing',
  'cdr_target_answer',
  'cdr_target_end',
  'cdr_target_noanswer',
].map((type, i) => ({
  position: String(1000 + i),
  vendor: 'portsip',
  type,
  occurredAt: new Date('2024-09-09T01:34:22Z'),
  receivedAt: new Date('2024-09-09T01:34:22Z'),
  payload: { event_type: type, session_id: 's-1', callee: '102', destination: 'sip:102@test.io', call_type: 'none' },
}));

describe('agent event routing', () => {
  const events = [...fixtureEvents(), ...targetEvents];

  it('selects every fixture event that yields agent changes', () => {
    const yielding = events.filter((e) => agentChanges(e, CTX).length > 0);
    expect(yielding.length).toBeGreaterThan(15);
    for (const e of yielding)
      expect([e.vendor, e.type, mayYieldAgentChanges(e.vendor, e.type)]).toEqual([e.vendor, e.type, true]);
  });

  it('selects every fixture event that names a directory extension', () => {
    const naming = events.filter((e) => directoryExtensions(e).length > 0);
    expect(naming.map((e) => `${e.vendor}:${e.type}`).sort()).toEqual([
      'nexbro:EXTENSION_REGISTER_SUCCESS',
      'nexbro:EXTENSION_UNREGISTER',
      'portsip:extension_agent_status',
      'portsip:extension_call',
      'portsip:extension_created',
      'portsip:extension_presence',
      'portsip:extension_status',
    ]);
    for (const e of naming) expect(mayNameDirectoryExtension(e.vendor, e.type)).toBe(true);
  });

  it('skips events that can say nothing about agents', () => {
    expect(mayYieldAgentChanges('nexbro', 'CALL_ROUTED')).toBe(false);
    expect(mayYieldAgentChanges('nexbro', 'CALL_INPUT')).toBe(false);
    expect(mayYieldAgentChanges('nexbro', 'EXTENSION_REGISTER_FAILURE')).toBe(false);
    expect(mayYieldAgentChanges('portsip', 'call_start')).toBe(false);
    expect(mayYieldAgentChanges('portsip', 'queue_caller_status')).toBe(false);
    expect(mayYieldAgentChanges('voipcloud', 'user_outbound')).toBe(false);
    expect(mayYieldAgentChanges('voipcloud', 'voicemail')).toBe(false);
    expect(mayYieldAgentChanges('other', 'anything')).toBe(false);
    expect(mayNameDirectoryExtension('nexbro', 'EXTENSION_REGISTER_FAILURE')).toBe(false);
    expect(mayNameDirectoryExtension('voipcloud', 'user_inbound')).toBe(false);
  });

  it('knows which queue changes are labelled by a PortSIP queue id, and which payload maps it', () => {
    const byType = (type: string) => events.find((e) => e.vendor === 'portsip' && e.type === type)!;
    const agentStatus = byType('queue_agent_status');
    const id = unmappedQueueId(agentStatus.vendor, agentStatus.type, agentStatus.payload);
    expect(id).toBe('677046776364007424');
    // agentChanges without ctx.queueIds labels those changes with exactly that id.
    expect(new Set(agentChanges(agentStatus, CTX).map((c) => c.queue))).toEqual(new Set([id]));

    const status = byType('queue_status');
    expect(unmappedQueueId(status.vendor, status.type, status.payload)).toBeNull();
    expect(statedQueueMapping(status.vendor, status.type, status.payload)).toEqual({
      queueId: '677046776364007424',
      queueNumber: '8001',
    });
    expect(statedQueueMapping('portsip', 'queue_status', { queue_id: '1' })).toBeNull();
    expect(unmappedQueueId('portsip', 'queue_status', { queue_id: '1', agents: [] })).toBe('1');
    expect(unmappedQueueId('nexbro', 'queue_status', { queue_id: '1' })).toBeNull();
  });
});
