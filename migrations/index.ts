import { EventStore1764000000000 } from './1764000000000-event-store';
import { TenantsSources1764000001000 } from './1764000001000-tenants-sources';
import { CallSessions1764000002000 } from './1764000002000-call-sessions';
import { RawEventsTenantByteIndex1764000003000 } from './1764000003000-raw-events-tenant-byte-index';
import { Queues1764000004000 } from './1764000004000-queues';
import { Agents1764000005000 } from './1764000005000-agents';
import { ApiKeysRls1764000006000 } from './1764000006000-api-keys-rls';
import { Billing1764000007000 } from './1764000007000-billing';
import { Exports1764000008000 } from './1764000008000-exports';
import { QueueHourStats1764000009000 } from './1764000009000-queue-hour-stats';
import { QueueHourNumbers1764000010000 } from './1764000010000-queue-hour-numbers';
import { DropRawEventsTenantByteIndex1764000011000 } from './1764000011000-drop-raw-events-tenant-byte-index';
import { AgentSegmentsReaching1764000012000 } from './1764000012000-agent-segments-reaching';
import { AgentLatestChanges1764000013000 } from './1764000013000-agent-latest-changes';
import { RawEventsLz41764000014000 } from './1764000014000-raw-events-lz4';

/** Every migration, in order. New migrations are appended here. */
export const MIGRATIONS = [
  EventStore1764000000000,
  TenantsSources1764000001000,
  CallSessions1764000002000,
  RawEventsTenantByteIndex1764000003000,
  Queues1764000004000,
  Agents1764000005000,
  ApiKeysRls1764000006000,
  Billing1764000007000,
  Exports1764000008000,
  QueueHourStats1764000009000,
  QueueHourNumbers1764000010000,
  DropRawEventsTenantByteIndex1764000011000,
  AgentSegmentsReaching1764000012000,
  AgentLatestChanges1764000013000,
  RawEventsLz41764000014000,
];
