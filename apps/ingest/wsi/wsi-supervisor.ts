import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { Logger } from 'pino';
import { IngestionService } from '@app/ingestion';
import { APP_CONFIG, AppConfig, LOGGER, Metrics, SourceConfig, TenancyService } from '@app/platform';
import { WsiConnector } from './wsi-connector';

const REFRESH_MS = 30_000;

/**
 * Keeps one PortSIP WSI connection per enabled source that configures one: starts new ones,
 * restarts changed ones, stops removed or disabled ones (checked every 30 s).
 */
@Injectable()
export class WsiSupervisor implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly connectors = new Map<string, { fingerprint: string; connector: WsiConnector }>();
  private timer: NodeJS.Timeout | undefined;
  private syncing: Promise<void> | undefined;

  constructor(
    private readonly tenancy: TenancyService,
    private readonly ingestion: IngestionService,
    private readonly metrics: Metrics,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.ingest.wsiEnabled) return;
    void this.sync();
    this.timer = setInterval(() => void this.sync(), REFRESH_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.syncing;
    await Promise.all([...this.connectors.values()].map((c) => c.connector.stop()));
    this.connectors.clear();
  }

  /** Connection states by source id (for tests and diagnostics). */
  states(): Record<string, string> {
    return Object.fromEntries([...this.connectors].map(([id, c]) => [id, c.connector.state]));
  }

  /** Reconciles running connections with the configured sources. */
  sync(): Promise<void> {
    this.syncing ??= this.reconcile().finally(() => (this.syncing = undefined));
    return this.syncing;
  }

  private async reconcile(): Promise<void> {
    let sources: SourceConfig[];
    try {
      sources = await this.tenancy.listWsiSources();
    } catch (error) {
      this.logger.warn({ err: error }, 'cannot list WSI sources; keeping current connections');
      return;
    }
    const wanted = new Map(sources.filter((s) => s.wsi).map((s) => [s.id, s]));
    for (const [id, running] of this.connectors) {
      const source = wanted.get(id);
      if (!source || fingerprint(source) !== running.fingerprint) {
        this.connectors.delete(id);
        await running.connector.stop();
        this.logger.info({ sourceId: id }, 'WSI connection stopped (source removed, disabled or changed)');
      }
    }
    for (const [id, source] of wanted) {
      if (this.connectors.has(id)) continue;
      const connector = this.connect(source);
      this.connectors.set(id, { fingerprint: fingerprint(source), connector });
      connector.start();
    }
  }

  private connect(source: SourceConfig): WsiConnector {
    const wsi = source.wsi!;
    let connected = false;
    return new WsiConnector({
      sourceId: source.id,
      url: wsi.url,
      username: wsi.username,
      password: wsi.password,
      topics: wsi.topics,
      filters: wsi.filters,
      deliver: async (raw) => {
        this.metrics.wsiMessages.inc();
        await this.ingestion.receiveWsiMessage(source.id, raw);
      },
      logger: this.logger.child({ component: 'wsi', sourceId: source.id }),
      hooks: {
        onConnected: () => {
          connected = true;
          this.metrics.wsiConnected.inc();
        },
        onDisconnected: () => {
          if (connected) this.metrics.wsiConnected.dec();
          connected = false;
        },
        onAuthFailure: () => this.metrics.wsiAuthFailures.inc({ source: source.id }),
      },
    });
  }
}

function fingerprint(s: SourceConfig): string {
  return createHash('sha256').update(JSON.stringify(s.wsi)).digest('hex');
}
