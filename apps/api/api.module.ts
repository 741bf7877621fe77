import { Module } from '@nestjs/common';

/** The reporting API (GraphQL, CSV downloads). */
@Module({})
export class ApiModule {}
