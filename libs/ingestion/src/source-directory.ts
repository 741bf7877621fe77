import { SourceConfig, TenancyService, UnknownSourceError } from '@app/platform';

/** A source as ingestion uses it: its configuration plus its compiled extension pattern. */
export interface ActiveSource extends SourceConfig {
  extensionRegex: RegExp;
}

type Entry = { at: number; value: ActiveSource | null };

/**
 * Looks up sources with a short cache, so a busy PBX does not cost a query per webhook and a
 * disabled source stops within `ttlMs`. Unknown ids are cached briefly too.
 */
export class SourceDirectory {
  private readonly cache = new Map<string, Entry>();

  constructor(
    private readonly tenancy: TenancyService,
    private readonly ttlMs = 5000,
    private readonly maxEntries = 10000,
  ) {}

  /** The enabled source, or UnknownSourceError; database errors propagate. */
  async get(sourceId: string): Promise<ActiveSource> {
    const now = Date.now();
    const hit = this.cache.get(sourceId);
    if (hit && now - hit.at < this.ttlMs) {
      if (!hit.value) throw new UnknownSourceError(sourceId);
      return hit.value;
    }
    let value: ActiveSource | null;
    try {
      const source = await this.tenancy.getActiveSource(sourceId);
      value = { ...source, extensionRegex: new RegExp(source.extensionPattern) };
    } catch (error) {
      if (!(error instanceof UnknownSourceError)) throw error;
      value = null;
    }
    if (this.cache.size >= this.maxEntries) this.cache.clear();
    this.cache.set(sourceId, { at: now, value });
    if (!value) throw new UnknownSourceError(sourceId);
    return value;
  }

  /** Forgets cached sources (after an operator change in this process). */
  invalidate(sourceId?: string): void {
    if (sourceId) this.cache.delete(sourceId);
    else this.cache.clear();
  }
}
