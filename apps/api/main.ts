import 'reflect-metadata';
import { appRoot, runApp } from '@app/platform';
import { ApiModule } from './api.module';

void runApp('api', (runtime) => appRoot(runtime, [ApiModule]), { allowEmbedded: false });
