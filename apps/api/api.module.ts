import { Module } from '@nestjs/common';
import { CarrierFilesModule, GraphqlApiModule } from '@app/api';

/** The reporting API (GraphQL; CSV downloads come with the exports) and carrier file uploads. */
@Module({ imports: [GraphqlApiModule, CarrierFilesModule] })
export class ApiModule {}
