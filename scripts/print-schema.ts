import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { buildSchemaSdl } from '@app/api/schema';

/** Writes schema.gql (the public GraphQL schema) from the resolvers and models. */
void buildSchemaSdl().then((sdl) => {
  writeFileSync(resolve(__dirname, '../../schema.gql'), sdl);
  process.stdout.write(`schema.gql: ${sdl.split('\n').length} lines\n`);
});
