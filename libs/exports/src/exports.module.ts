import { Module } from '@nestjs/common';
import { ExportService } from './export.service';

/** CSV exports (the `exports` queue comes from the global QueueModule). */
@Module({ providers: [ExportService], exports: [ExportService] })
export class ExportsModule {}
