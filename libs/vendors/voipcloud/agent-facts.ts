import { FieldReader, isRecord } from '../src/fields';

/**
 * `unique_call_id` of a VoIPcloud event: the call id the call-sessions read model uses, so an
 * agent's CALL segments link to the call row. Null when absent or unreadable; never throws.
 */
export function voipcloudCallId(payload: unknown): string | null {
  return new FieldReader(isRecord(payload) ? payload : {}, []).id('unique_call_id');
}
