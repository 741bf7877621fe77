import 'reflect-metadata';
import { appRoot, runApp } from '@app/platform';
import { WorkerModule } from './worker.module';

void runApp('worker', (runtime) => appRoot(runtime, [WorkerModule]), { allowEmbedded: false });
