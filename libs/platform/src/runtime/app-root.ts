import { DynamicModule, Module, Type } from '@nestjs/common';
import { HealthModule } from '../health/health.module';
import { PlatformModule } from '../platform.module';
import { QueueModule } from '../queue/queue.module';
import { Runtime } from './runtime';

@Module({})
class AppRootModule {}

/** A process's root module: the platform, the queue, health endpoints and the given feature modules. */
export function appRoot(runtime: Runtime, features: Array<Type | DynamicModule>): DynamicModule {
  return {
    module: AppRootModule,
    imports: [
      PlatformModule.forRoot(runtime),
      QueueModule.forRoot(runtime.queue, runtime.config.queue.prefix),
      HealthModule,
      ...features,
    ],
  };
}
