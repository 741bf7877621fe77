import 'reflect-metadata';
import { CatchUpShare, ShareMessage, catchUpShare } from './rebuild';

// A rebuild's catch-up process (apps/cli/rebuild.ts, catchUpInProcesses): its share as JSON in
// argv[2], each batch's events reported to the parent, exit code 0 once its partitions are caught up.
async function main(): Promise<number> {
  const share = JSON.parse(process.argv[2] ?? '') as CatchUpShare;
  // Without its parent (the rebuild was interrupted) it stops; the batch in flight rolls back.
  process.on('disconnect', () => process.exit(1));
  const send = (m: ShareMessage) =>
    new Promise<void>((resolve) => (process.send ? process.send(m, undefined, {}, () => resolve()) : resolve()));
  await catchUpShare(share, (events) => void send({ events }));
  await send({ events: 0 }); // messages go in order: once this one is out, every count is
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
