/**
 * Which stored events the agent projections must read. The runner hands a projection every
 * event of a batch with its keys only (no payload); the keys are not enough to route agent
 * facts — a PortSIP extension_status push may name several extensions and then carries no
 * `extension` key, a call_cdr names its agents only inside `call_targets[]`, a
 * queue_agent_status names several agents — so the decision is made by vendor and type, and the
 * payloads of the chosen events are loaded. Keep these lists in step with agentChanges and
 * directoryExtensions (agent-event-types.spec.ts checks every vendor fixture against them).
 */
import { nexbroCallState, nexbroRegistrationState } from '@app/vendors/nexbro';
import { portsipQueueAgentFacts } from '@app/vendors/portsip';

const PORTSIP_STATUS_TYPES: ReadonlySet<string> = new Set([
  'extension_status',
  'extension_call',
  'extension_presence',
  'extension_agent_status',
]);
const PORTSIP_QUEUE_AGENT_TYPES: ReadonlySet<string> = new Set(['queue_agent_status', 'queue_status']);
const PORTSIP_MANAGEMENT_TYPES: ReadonlySet<string> = new Set([
  'extension_created',
  'extension_updated',
  'extension_destroyed',
]);
// user_outbound gives nothing (the call is only being dialled); summaries close an answered User's call.
const VOIPCLOUD_AGENT_TYPES: ReadonlySet<string> = new Set([
  'user_inbound',
  'user_inbound_answered',
  'user_inbound_completed',
  'user_outbound_answered',
  'user_outbound_completed',
  'queue_call',
  'ring_group_call',
]);

/** Whether agentChanges may find anything in an event of this vendor and type. */
export function mayYieldAgentChanges(vendor: string, type: string): boolean {
  switch (vendor) {
    case 'nexbro':
      return nexbroRegistrationState(type) !== null || nexbroCallState(type) !== null;
    case 'portsip':
      return (
        PORTSIP_STATUS_TYPES.has(type) ||
        PORTSIP_QUEUE_AGENT_TYPES.has(type) ||
        type === 'call_cdr' ||
        type.startsWith('cdr_target_')
      );
    case 'voipcloud':
      return VOIPCLOUD_AGENT_TYPES.has(type);
    default:
      return false;
  }
}

/** Whether directoryExtensions may find an extension in an event of this vendor and type. */
export function mayNameDirectoryExtension(vendor: string, type: string): boolean {
  if (vendor === 'nexbro') return nexbroRegistrationState(type) !== null;
  if (vendor === 'portsip') return PORTSIP_STATUS_TYPES.has(type) || PORTSIP_MANAGEMENT_TYPES.has(type);
  return false;
}

/**
 * The PortSIP queue id an event names its queue by, when it gives no queue number
 * (queue_agent_status always; queue_status when the number is missing). agentChanges, called
 * without ctx.queueIds, then labels that event's AGENT_STATE changes with the id; the projection
 * keeps the id beside each change so that it can relabel them once queue_status maps the id.
 */
export function unmappedQueueId(vendor: string, type: string, payload: unknown): string | null {
  if (vendor !== 'portsip' || !PORTSIP_QUEUE_AGENT_TYPES.has(type)) return null;
  const facts = portsipQueueAgentFacts(payload);
  return facts.queueNumber === null ? facts.queueId : null;
}

/** The queue id → number mapping a PortSIP queue_status states, if it states both. */
export function statedQueueMapping(
  vendor: string,
  type: string,
  payload: unknown,
): { queueId: string; queueNumber: string } | null {
  if (vendor !== 'portsip' || type !== 'queue_status') return null;
  const { queueId, queueNumber } = portsipQueueAgentFacts(payload);
  return queueId !== null && queueNumber !== null ? { queueId, queueNumber } : null;
}
