import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { INGEST_NODE_FLAGS, PROJECTION_NODE_FLAGS } from '../../bench/lib/child';

// The processes that fold projections start with the same Node flags wherever they are started,
// and the benchmarks measure them with those flags (docs/projections.md, "Capacity").
describe('Node flags of the processes that fold projections', () => {
  const root = join(__dirname, '..', '..');
  const read = (file: string) => readFileSync(join(root, file), 'utf8');
  const flags = PROJECTION_NODE_FLAGS.join(' ');

  it('package.json starts the standalone app, the worker and the CLI with them', () => {
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    expect(scripts.start).toContain(`node ${flags} dist/apps/standalone/main.js`);
    expect(scripts['start:worker']).toBe(`node ${flags} dist/apps/worker/main.js`);
    expect(scripts.cli).toBe(`node ${flags} dist/apps/cli/main.js`);
  });

  it('the image and docker-compose.yml start the standalone app and the worker with them', () => {
    const argv = PROJECTION_NODE_FLAGS.map((f) => `"${f}"`).join(', ');
    expect(read('Dockerfile')).toContain(`CMD ["node", ${argv}, "dist/apps/standalone/main.js"]`);
    expect(read('docker-compose.yml')).toContain(`command: ["node", ${argv}, "dist/apps/worker/main.js"]`);
  });
});

// The ingest app likewise (docs/ingestion.md, "Node flags"), and the ingest benchmark measures it so.
describe('Node flags of the ingest app', () => {
  const root = join(__dirname, '..', '..');
  const read = (file: string) => readFileSync(join(root, file), 'utf8');

  it('package.json and docker-compose.yml start it with them', () => {
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    expect(scripts['start:ingest']).toBe(`node ${INGEST_NODE_FLAGS.join(' ')} dist/apps/ingest/main.js`);
    const argv = INGEST_NODE_FLAGS.map((f) => `"${f}"`).join(', ');
    expect(read('docker-compose.yml')).toContain(`command: ["node", ${argv}, "dist/apps/ingest/main.js"]`);
  });
});
