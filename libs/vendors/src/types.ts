/** The PBX vendors whose payloads this library understands. */
export type VendorName = 'nexbro' | 'portsip' | 'voipcloud';

/** What a parser needs to know about the source that sent the payload. */
export interface VendorContext {
  /** IANA zone of the source, used for zone-less times. */
  timezone: string;
  /**
   * Tenant's extension number pattern, used only to decide whether a ringing/answering party is an
   * extension. Defaults to DEFAULT_EXTENSION_PATTERN (`^\d{2,5}$`).
   */
  extensionPattern?: RegExp;
}

/** Vendor-neutral facts about one stored event; everything else stays in the raw payload. */
export interface ParsedEvent {
  /** The vendor's event type as sent (trimmed; canonical spelling when known); 'unknown' when absent or not a string. */
  type: string;
  /** False when the type is unknown OR required fields are missing/invalid (the event is still stored, only flagged). */
  recognized: boolean;
  /** Human-readable reasons why it is not recognized (empty when recognized). */
  problems: string[];
  /** When the event happened (null if no usable time). */
  occurredAt: Date | null;
  /** `id:<vendor event id>` when the payload carries one, else `h:<sha256 hex of canonical JSON>`. */
  dedupKey: string;
  /** Call correlation: Nexbro call_uuid, PortSIP session_id, VoIPcloud unique_call_id. */
  callKey: string | null;
  /** Related-call group: Nexbro call_session_uuid; PortSIP session_id; VoIPcloud unique_call_id. */
  sessionKey: string | null;
  /** Extension number concerned when clear. */
  extension: string | null;
  /** Queue number/id concerned when clear. */
  queue: string | null;
}

/** Turns one vendor payload (one JSON value, never a batch) into a ParsedEvent. Never throws. */
export interface VendorAdapter {
  readonly vendor: VendorName;
  parse(payload: unknown, ctx: VendorContext): ParsedEvent;
}

/** Call direction as reported by the API (CONTRACT.md `Direction`). */
export type CallDirection = 'INBOUND' | 'OUTBOUND' | 'INTERNAL' | 'TRANSIT' | 'UNKNOWN';
