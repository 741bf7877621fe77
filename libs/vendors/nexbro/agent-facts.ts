import { FieldReader, isRecord } from '../src/fields';

/**
 * Nexbro facts for the agent timeline and the extension directory, read into neutral names so
 * the agents projection never touches a field name. Unreadable values are null; nothing throws.
 */

/** What an EXTENSION_REGISTER_SUCCESS / _FAILURE / EXTENSION_UNREGISTER event says about the extension. */
export interface NexbroExtensionFacts {
  /** `extension`. */
  extension: string | null;
  /** `name` (absent on _FAILURE). */
  name: string | null;
  /** `ip`: where the device registers from (UNREGISTER: where it was registered from). */
  ip: string | null;
  /** `port`. */
  port: string | null;
  /** `transport` (UDP/TCP/TLS...). */
  transport: string | null;
  /** `user_agent`: the SIP client or device. */
  userAgent: string | null;
}

/** Reads the extension, display name and device of an extension event. */
export function nexbroExtensionFacts(payload: unknown): NexbroExtensionFacts {
  const r = new FieldReader(isRecord(payload) ? payload : {}, []);
  return {
    extension: r.id('extension'),
    name: trimmed(r.text('name')),
    ip: r.id('ip'),
    port: r.id('port'),
    transport: r.id('transport'),
    userAgent: trimmed(r.text('user_agent')),
  };
}

/** `call_uuid` of a call event: the call id the call-sessions read model uses for Nexbro. */
export function nexbroCallId(payload: unknown): string | null {
  return new FieldReader(isRecord(payload) ? payload : {}, []).id('call_uuid');
}

function trimmed(value: string | null): string | null {
  const t = value?.trim() ?? '';
  return t === '' ? null : t;
}
