import { Module } from '@nestjs/common';
import { HealthController } from './health.controller';

/** `/health/live`, `/health/ready` and `/metrics` for any app that imports it. */
@Module({ controllers: [HealthController] })
export class HealthModule {}
