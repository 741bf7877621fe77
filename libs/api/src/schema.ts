import { NestFactory } from '@nestjs/core';
import { GraphQLSchemaBuilderModule, GraphQLSchemaFactory } from '@nestjs/graphql';
import { lexicographicSortSchema, printSchema } from 'graphql';
import { BillingResolver } from './billing.resolver';
import { CallsResolver } from './calls.resolver';
import { ExportsResolver } from './exports.resolver';
import { ReportsResolver } from './reports.resolver';

/** The SDL the API serves (sorted, as the server sorts it); `schema.gql` in the repo must equal it. */
export async function buildSchemaSdl(): Promise<string> {
  const app = await NestFactory.createApplicationContext(GraphQLSchemaBuilderModule, { logger: false });
  try {
    await app.init();
    const schema = await app
      .get(GraphQLSchemaFactory)
      .create([CallsResolver, ReportsResolver, BillingResolver, ExportsResolver]);
    return `# Generated from the code by \`npm run schema\`; a test checks it is current.\n\n${printSchema(lexicographicSortSchema(schema))}\n`;
  } finally {
    await app.close();
  }
}
