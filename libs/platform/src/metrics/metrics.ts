import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Seconds of one projection batch or read: from a quiet partition (ms) to a big catch-up batch (s). */
const PROJECTION_SECONDS_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** One Prometheus registry per process, with Node's default metrics and the product's own. */
export class Metrics {
  readonly registry = new Registry();

  readonly eventsAppended = new Counter({
    name: 'cdr_events_appended_total',
    help: 'Events committed to raw_events',
    labelNames: ['vendor'] as const,
    registers: [this.registry],
  });
  readonly eventsDuplicate = new Counter({
    name: 'cdr_events_duplicate_total',
    help: 'Events recognised as duplicates and not stored again',
    labelNames: ['vendor'] as const,
    registers: [this.registry],
  });
  readonly appendBatchSeconds = new Histogram({
    name: 'cdr_append_batch_seconds',
    help: 'Time to commit one append transaction',
    buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly appendBatchEvents = new Histogram({
    name: 'cdr_append_batch_events',
    help: 'Events per append transaction',
    buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 5000],
    registers: [this.registry],
  });
  readonly authFailures = new Counter({
    name: 'cdr_webhook_auth_failures_total',
    help: 'Webhook requests refused for wrong credentials (or throttled after too many)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly webhookRequests = new Counter({
    name: 'cdr_webhook_requests_total',
    help: 'Webhook requests by HTTP status',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });
  readonly rejectedDeliveries = new Counter({
    name: 'cdr_rejected_deliveries_total',
    help: 'Deliveries that were not JSON objects or arrays (kept in rejected_deliveries)',
    labelNames: ['vendor'] as const,
    registers: [this.registry],
  });
  readonly wsiConnected = new Gauge({
    name: 'cdr_wsi_connected',
    help: 'PortSIP WSI connections currently subscribed',
    registers: [this.registry],
  });
  readonly wsiAuthFailures = new Counter({
    name: 'cdr_wsi_auth_failures_total',
    help: 'PortSIP WSI logins refused by the PBX',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });
  readonly wsiMessages = new Counter({
    name: 'cdr_wsi_messages_total',
    help: 'Messages received over PortSIP WSI',
    registers: [this.registry],
  });
  readonly projectionEvents = new Counter({
    name: 'cdr_projection_events_total',
    help: 'Events applied by projections',
    labelNames: ['projection'] as const,
    registers: [this.registry],
  });
  readonly projectionBatchSeconds = new Histogram({
    name: 'cdr_projection_batch_seconds',
    help: 'Time one projection spent applying one batch and moving its checkpoint (the shared read of the store not included)',
    labelNames: ['projection'] as const,
    buckets: PROJECTION_SECONDS_BUCKETS,
    registers: [this.registry],
  });
  readonly projectionReadSeconds = new Histogram({
    name: 'cdr_projection_read_seconds',
    help: 'Time to read one batch of events from the store for the projections of a partition',
    buckets: PROJECTION_SECONDS_BUCKETS,
    registers: [this.registry],
  });
  readonly projectionLagPositions = new Gauge({
    name: 'cdr_projection_lag_positions',
    help: 'Store positions not yet applied (upper bound), per projection partition',
    labelNames: ['projection', 'partition'] as const,
    registers: [this.registry],
  });
  readonly projectionLagSeconds = new Gauge({
    name: 'cdr_projection_lag_seconds',
    help: 'Age of the oldest event not yet applied, per projection partition',
    labelNames: ['projection', 'partition'] as const,
    registers: [this.registry],
  });
  readonly doorbellRings = new Counter({
    name: 'cdr_projection_doorbell_rings_total',
    help: 'Projection doorbell rings sent to the queue (rings of a partition within PROJECTION_DOORBELL_INTERVAL_MS go as one)',
    registers: [this.registry],
  });
  readonly doorbellErrors = new Counter({
    name: 'cdr_projection_doorbell_errors_total',
    help: 'Projection doorbell rings that failed (the catch-up loop covers them)',
    registers: [this.registry],
  });
  readonly maintenanceRuns = new Counter({
    name: 'cdr_maintenance_runs_total',
    help: 'Event-store maintenance runs (partitions ahead, dedup pruning)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly exportRuns = new Counter({
    name: 'cdr_export_runs_total',
    help: 'Export attempts by report and outcome (succeeded, retried, failed)',
    labelNames: ['report', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly exportRows = new Counter({
    name: 'cdr_export_rows_total',
    help: 'CSV rows written by exports',
    labelNames: ['report'] as const,
    registers: [this.registry],
  });
  readonly exportSeconds = new Histogram({
    name: 'cdr_export_seconds',
    help: 'Time to write one export file',
    labelNames: ['report'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1200],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }
}
