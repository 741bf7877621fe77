import 'reflect-metadata';
import { appRoot, runApp } from '@app/platform';
import { IngestModule } from './ingest.module';

void runApp('ingest', (runtime) => appRoot(runtime, [IngestModule]), { allowEmbedded: false });
