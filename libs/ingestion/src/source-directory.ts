import { SourceConfig, TenancyService, UnknownSourceError } from '@app/platform';

/** A source as ingestion uses it: its configuration plus its compiled extension pattern. */
export interface ActiveSource extends SourceConfig {
  extensionRegex: RegExp;
}

type Entry = { at: number; value: ActiveSource | null };

/**
 * Looks up sources with a short cache, so a busy PBX does not cost a query per webhook and a
 * disabled source stops within `ttlMs` (plus one lookup). Unknown ids are cached briefly too.
 *
 * A source is looked up by one query at a time however many webhooks wait for it, and a known
 * source whose entry is older than `ttlMs` keeps being served while it is looked up again in the
 * background — so the moment an entry expires under load costs no burst of queries and no
 * request waits for one.
 */
export class SourceDirectory {
  private readonly cache = new Map<string, Entry>();
  private readonly loading = new Map<string, Promise<ActiveSource | null>>();

  constructor(
    private readonly tenancy: TenancyService,
    private readonly ttlMs = 5000,
    private readonly maxEntries = 10000,
  ) {}

  /** The enabled source, or UnknownSourceError; database errors propagate. */
  async get(sourceId: string): Promise<ActiveSource> {
    const hit = this.cache.get(sourceId);
    if (hit && Date.now() - hit.at < this.ttlMs) {
      if (!hit.value) throw new UnknownSourceError(sourceId);
      return hit.value;
    }
    if (hit?.value) {
      // Stale but known: answer with it, refresh once in the background (a failure leaves the
      // entry stale, and the next request tries again).
      this.load(sourceId).catch(() => undefined);
      return hit.value;
    }
    const value = await this.load(sourceId);
    if (!value) throw new UnknownSourceError(sourceId);
    return value;
  }

  private load(sourceId: string): Promise<ActiveSource | null> {
    const pending = this.loading.get(sourceId);
    if (pending) return pending;
    const started = Date.now();
    const promise = (async () => {
      let value: ActiveSource | null;
      try {
        const source = await this.tenancy.getActiveSource(sourceId);
        value = { ...source, extensionRegex: new RegExp(source.extensionPattern) };
      } catch (error) {
        if (!(error instanceof UnknownSourceError)) throw error;
        value = null;
      }
      if (this.cache.size >= this.maxEntries) this.cache.clear();
      this.cache.set(sourceId, { at: started, value });
      return value;
    })().finally(() => this.loading.delete(sourceId));
    this.loading.set(sourceId, promise);
    return promise;
  }

  /** Forgets cached sources (after an operator change in this process). */
  invalidate(sourceId?: string): void {
    if (sourceId) this.cache.delete(sourceId);
    else this.cache.clear();
  }
}
