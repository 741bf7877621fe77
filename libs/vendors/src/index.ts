import { nexbroAdapter } from '../nexbro';
import { portsipAdapter } from '../portsip';
import { voipcloudAdapter } from '../voipcloud';
import type { VendorAdapter, VendorName } from './types';

export * from './types';
export * from './time';
export * from './canonical';
export * from './describe';
export {
  DEFAULT_EXTENSION_PATTERN,
  FieldReader,
  dedupKeyOf,
  isRecord,
  latest,
  looksLikeExtension,
  matchEventType,
  notAnObject,
  single,
  toBool,
  toSeconds,
} from './fields';
export type { JsonRecord, TypeMatch } from './fields';
export { nexbroAdapter, portsipAdapter, voipcloudAdapter };

/** The vendors a source can be configured with. */
export const VENDOR_NAMES: readonly VendorName[] = Object.freeze(['nexbro', 'portsip', 'voipcloud'] as const);

/** Thrown when a source names a vendor this library does not know. */
export class UnknownVendorError extends Error {
  constructor(readonly vendor: string) {
    super(`Unknown vendor ${JSON.stringify(vendor)}; expected one of ${VENDOR_NAMES.join(', ')}`);
    this.name = 'UnknownVendorError';
  }
}

const ADAPTERS: Readonly<Record<VendorName, VendorAdapter>> = {
  nexbro: nexbroAdapter,
  portsip: portsipAdapter,
  voipcloud: voipcloudAdapter,
};

/** True when `name` is exactly one of VENDOR_NAMES. */
export function isVendorName(name: unknown): name is VendorName {
  return typeof name === 'string' && (VENDOR_NAMES as readonly string[]).includes(name);
}

/** The adapter for a vendor name (trimmed, any case); throws UnknownVendorError otherwise. */
export function getVendorAdapter(name: string): VendorAdapter {
  const key = typeof name === 'string' ? name.trim().toLowerCase() : '';
  if (!isVendorName(key)) throw new UnknownVendorError(String(name));
  return ADAPTERS[key];
}
