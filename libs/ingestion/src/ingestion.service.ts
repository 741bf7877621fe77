import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { Logger } from 'pino';
import { NewEvent } from '@app/event-store';
import { FailureThrottle, Metrics, SourceAuthenticator, countsAsFailure } from '@app/platform';
import { ParsedEvent, getVendorAdapter } from '@app/vendors';
import { DeliveredEvent, MalformedDeliveryError, splitDelivery } from './delivery';
import { GroupCommitter } from './group-commit';
import { AuthenticationFailedError, StorageUnavailableError, TooManyFailuresError } from './ingestion.errors';
import { ActiveSource, SourceDirectory } from './source-directory';

/** The store's description of one event: who sent it, what the vendor library made of it, its bytes. */
export function describeEvent(
  from: { tenantId: string; sourceId: string; vendor: string; deliveryId?: string },
  p: ParsedEvent,
  raw: Buffer,
): NewEvent {
  // Fields written out: an object spread here cost ~10 µs per event on the hot path.
  return {
    tenantId: from.tenantId,
    sourceId: from.sourceId,
    vendor: from.vendor,
    deliveryId: from.deliveryId,
    type: p.type,
    recognized: p.recognized,
    problem: p.problems.length ? p.problems.join('; ') : null,
    dedupKey: p.dedupKey,
    occurredAt: p.occurredAt,
    callKey: p.callKey,
    sessionKey: p.sessionKey,
    extension: p.extension,
    queue: p.queue,
    raw,
  };
}

/** One webhook request as the transport received it. */
export interface WebhookDelivery {
  sourceId: string;
  method: string;
  /** Request target as received (path and query): Digest signs it. */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  remoteAddress: string;
  body: Buffer | undefined;
}

/** What was stored: new events, and events already stored earlier (or repeated in the delivery). */
export interface IngestResult {
  accepted: number;
  duplicates: number;
}

/**
 * Turns deliveries (webhooks, WSI messages) into stored events: authenticate the source, split
 * the body, let the vendor library describe each event, and append through group commit.
 */
export class IngestionService {
  constructor(
    private readonly sources: SourceDirectory,
    private readonly authenticator: SourceAuthenticator,
    private readonly throttle: FailureThrottle,
    private readonly committer: GroupCommitter,
    private readonly pool: Pool,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
  ) {}

  /** Handles one webhook; throws a domain error for every answer other than success. */
  async receiveWebhook(d: WebhookDelivery): Promise<IngestResult> {
    const source = await this.lookup(d.sourceId);
    const throttled = this.throttle.check(source.id, d.remoteAddress);
    if (throttled.blocked) {
      this.metrics.authFailures.inc({ reason: 'throttled' });
      throw new TooManyFailuresError(throttled.retryAfterSeconds);
    }
    const auth = await this.authenticator.authenticate(source.authMethod, source.credentials, d);
    if (!auth.ok) {
      if (countsAsFailure(auth.reason)) {
        this.throttle.recordFailure(source.id, d.remoteAddress);
        this.metrics.authFailures.inc({ reason: auth.reason });
        this.logger.warn(
          { sourceId: source.id, remoteAddress: d.remoteAddress, reason: auth.reason },
          'webhook authentication failed',
        );
      }
      throw new AuthenticationFailedError(auth.reason, auth.challenge);
    }
    let delivered: DeliveredEvent[];
    try {
      delivered = splitDelivery(d.body);
    } catch (error) {
      if (error instanceof MalformedDeliveryError) await this.reject(source, d, error.reason);
      throw error;
    }
    return this.store(source, delivered);
  }

  /** Stores one message pushed by a PortSIP WSI connection of `sourceId` (already authenticated). */
  async receiveWsiMessage(sourceId: string, raw: Buffer): Promise<IngestResult> {
    const source = await this.lookup(sourceId);
    let delivered: DeliveredEvent[];
    try {
      delivered = splitDelivery(raw);
    } catch (error) {
      if (!(error instanceof MalformedDeliveryError)) throw error;
      await this.reject(source, { remoteAddress: 'wsi', headers: {}, body: raw }, error.reason);
      return { accepted: 0, duplicates: 0 };
    }
    return this.store(source, delivered);
  }

  /** Waits for every append in flight (shutdown). */
  drain(): Promise<void> {
    return this.committer.drain();
  }

  private async lookup(sourceId: string): Promise<ActiveSource> {
    try {
      return await this.sources.get(sourceId);
    } catch (error) {
      if (error instanceof Error && error.name === 'UnknownSourceError') throw error;
      throw new StorageUnavailableError(error);
    }
  }

  private async store(source: ActiveSource, delivered: DeliveredEvent[]): Promise<IngestResult> {
    const adapter = getVendorAdapter(source.vendor);
    const deliveryId = randomUUID();
    const ctx = { timezone: source.timezone, extensionPattern: source.extensionRegex };
    const events = delivered.map(({ value, raw }) =>
      describeEvent(
        { tenantId: source.tenantId, sourceId: source.id, vendor: source.vendor, deliveryId },
        adapter.parse(value, ctx),
        raw,
      ),
    );
    try {
      const result = await this.committer.submit(events);
      return { accepted: result.accepted, duplicates: result.duplicates };
    } catch (error) {
      this.logger.error({ err: error, sourceId: source.id, events: events.length }, 'append failed; answering 503');
      throw new StorageUnavailableError(error);
    }
  }

  private async reject(
    source: ActiveSource,
    d: Pick<WebhookDelivery, 'remoteAddress' | 'headers' | 'body'>,
    reason: string,
  ): Promise<void> {
    this.metrics.rejectedDeliveries.inc({ vendor: source.vendor });
    const contentType = d.headers['content-type'];
    try {
      await this.pool.query(
        `INSERT INTO rejected_deliveries (tenant_id, source_id, reason, remote_addr, content_type, body)
         VALUES ($1, $2, $3, $4, $5, $6)`,
        [
          source.tenantId,
          source.id,
          reason,
          d.remoteAddress,
          Array.isArray(contentType) ? contentType.join(', ') : (contentType ?? null),
          d.body ?? Buffer.alloc(0),
        ],
      );
    } catch (error) {
      throw new StorageUnavailableError(error);
    }
  }
}
