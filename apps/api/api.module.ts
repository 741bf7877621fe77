import { Module } from '@nestjs/common';
import { GraphqlApiModule } from '@app/api';

/** The reporting API (GraphQL; CSV downloads come with the exports). */
@Module({ imports: [GraphqlApiModule] })
export class ApiModule {}
