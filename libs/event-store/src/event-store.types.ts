/** One event to append, as ingestion derived it from a delivery. */
export interface NewEvent {
  tenantId: string;
  sourceId: string;
  vendor: string;
  type: string;
  /** False when the payload was valid JSON but not understood; it is stored anyway and flagged. */
  recognized: boolean;
  problem?: string | null;
  /** Unique per source for at least the dedup retention: the vendor's event id or a content hash. */
  dedupKey: string;
  occurredAt: Date | null;
  callKey?: string | null;
  sessionKey?: string | null;
  extension?: string | null;
  queue?: string | null;
  deliveryId?: string | null;
  /** The exact bytes received for this event (for an array delivery, the element's bytes); must be JSON. */
  raw: Buffer;
  /**
   * JSON text for the jsonb copy. Usually omitted: the store parses `raw` itself, or derives a
   * jsonb-safe text from it (see toPayloadJson) when PostgreSQL would read `raw` differently.
   */
  payloadJson?: string;
}

/** Where a reader stands: every event at or before (txId, position) has been read. */
export interface Checkpoint {
  txId: string;
  position: string;
}

export const START_CHECKPOINT: Checkpoint = Object.freeze({ txId: '0', position: '0' });

/** An event read back from the store. */
export interface StoredEvent {
  position: string;
  txId: string;
  tenantId: string;
  sourceId: string;
  vendor: string;
  type: string;
  recognized: boolean;
  problem: string | null;
  dedupKey: string;
  occurredAt: Date | null;
  receivedAt: Date;
  callKey: string | null;
  sessionKey: string | null;
  extension: string | null;
  queue: string | null;
  deliveryId: string | null;
  raw: Buffer;
  payload: unknown;
}

export type AppendOutcome = { status: 'stored'; position: string } | { status: 'duplicate' };

export interface AppendResult {
  /** One outcome per input event, in input order. */
  outcomes: AppendOutcome[];
  accepted: number;
  duplicates: number;
}
