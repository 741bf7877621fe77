import { DynamicModule, Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from './config/config';
import { dataSourceOptions } from './database/data-source';
import { PG_POOL, poolOf } from './database/pg-pool';
import { LOGGER } from './logging/logger';
import { Metrics } from './metrics/metrics';
import { SecretBox, ServerSecret } from './secrets/secret-box';
import { TenancyService } from './tenancy/tenancy.service';

/** What the composition root prepared before Nest starts (config, database URL, logger, metrics). */
export interface PlatformRuntime {
  config: AppConfig;
  databaseUrl: string;
  logger: Logger;
  metrics: Metrics;
  secret: ServerSecret;
}

/** Config, logger, metrics, secrets, tenancy, TypeORM and the shared pg pool, available to every module. */
@Global()
@Module({})
export class PlatformModule {
  static forRoot(runtime: PlatformRuntime): DynamicModule {
    return {
      module: PlatformModule,
      imports: [TypeOrmModule.forRoot(dataSourceOptions(runtime.databaseUrl, runtime.config.database.poolSize))],
      providers: [
        { provide: APP_CONFIG, useValue: runtime.config },
        { provide: LOGGER, useValue: runtime.logger },
        { provide: Metrics, useValue: runtime.metrics },
        { provide: PG_POOL, inject: [DataSource], useFactory: poolOf },
        { provide: ServerSecret, useValue: runtime.secret },
        { provide: SecretBox, useValue: new SecretBox(runtime.secret) },
        {
          provide: TenancyService,
          inject: [DataSource, SecretBox],
          useFactory: (ds: DataSource, box: SecretBox) =>
            new TenancyService(ds, box, runtime.config.ingest.digestRealm),
        },
      ],
      exports: [APP_CONFIG, LOGGER, Metrics, PG_POOL, ServerSecret, SecretBox, TenancyService],
    };
  }
}
