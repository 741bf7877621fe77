import { InjectQueue } from '@nestjs/bullmq';
import { Controller, Get, Header, HttpCode, Inject, Res } from '@nestjs/common';
import { Queue } from 'bullmq';
import { Pool } from 'pg';
import { PG_POOL } from '../database/pg-pool';
import { Metrics } from '../metrics/metrics';
import { QUEUES } from '../queue/queue.module';

const CHECK_TIMEOUT_MS = 2000;

type Reply = { status(code: number): Reply; send(body: unknown): void };

/** Liveness, readiness (PostgreSQL and the queue) and Prometheus metrics. */
@Controller()
export class HealthController {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @InjectQueue(QUEUES.maintenance) private readonly queue: Queue,
    private readonly metrics: Metrics,
  ) {}

  @Get('health/live')
  @HttpCode(200)
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('health/ready')
  async ready(@Res() reply: Reply): Promise<void> {
    const [database, queue] = await Promise.all([
      check(() => this.pool.query('SELECT 1')),
      check(() => this.queue.getJobCounts('waiting')),
    ]);
    const ok = database === 'up' && queue === 'up';
    reply.status(ok ? 200 : 503).send({ status: ok ? 'ok' : 'unavailable', checks: { database, queue } });
  }

  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  async prometheus(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}

async function check(probe: () => Promise<unknown>): Promise<'up' | 'down'> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      probe(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), CHECK_TIMEOUT_MS);
      }),
    ]);
    return 'up';
  } catch {
    return 'down';
  } finally {
    clearTimeout(timer);
  }
}
