import { Module } from '@nestjs/common';
import { ProjectionDoorbell } from './doorbell';

export { ProjectionDoorbell };

/** The projection doorbell, for producers (ingestion) that must not depend on the workers. */
@Module({ providers: [ProjectionDoorbell], exports: [ProjectionDoorbell] })
export class DoorbellModule {}
