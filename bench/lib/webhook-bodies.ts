/**
 * Webhook bodies with unique content for HTTP load: a stream of whole PortSIP calls (call_start,
 * four cdr_target_* events, call_cdr) copied from realistic template calls, each copy with a
 * session id of its own. Every event therefore has a distinct content hash (the dedup key), so
 * nothing the server receives is a duplicate. No imports: the load generator process loads it.
 */

/** Per template call, per step: the event's JSON text split around the call's session id. */
export type CallTemplates = string[][][];

/** Template calls from generated events of whole calls (`callKey` is the session id in the bytes). */
export function callTemplates(events: ReadonlyArray<{ callKey?: string | null; raw: Buffer }>): CallTemplates {
  const calls = new Map<string, string[][]>();
  for (const e of events) {
    if (!e.callKey) throw new Error('template events need a call key');
    const parts = e.raw.toString('utf8').split(e.callKey);
    if (parts.length < 2) throw new Error(`the call key ${e.callKey} does not occur in its payload`);
    (calls.get(e.callKey) ?? calls.set(e.callKey, []).get(e.callKey)!).push(parts);
  }
  const out = [...calls.values()];
  const steps = out[0]?.length ?? 0;
  if (steps === 0 || out.some((c) => c.length !== steps)) throw new Error('template calls must be whole calls');
  return out;
}

/**
 * An 18-digit session id like PortSIP's, unique per (run, call): `9`, the run id in 3 digits, the
 * call number in 14. Runs against the same source must use different run ids.
 */
export function sessionId(runId: number, call: number): string {
  return `9${String(runId).padStart(3, '0')}${String(call).padStart(14, '0')}`;
}

/** Makes bodies on demand: one event, or a JSON array of consecutive events of the stream. */
export class BodyFactory {
  private made = 0;
  private readonly steps: number;

  constructor(
    private readonly templates: CallTemplates,
    private readonly runId: number,
  ) {
    if (runId < 0 || runId > 999) throw new RangeError('runId must be 0..999');
    this.steps = templates[0].length;
  }

  /** Events put into bodies so far. */
  get events(): number {
    return this.made;
  }

  /** The next body: the next event alone when `eventsPerBody` is 1, else an array of that many. */
  body(eventsPerBody: number): string {
    if (eventsPerBody === 1) return this.event(this.made++);
    let out = '[';
    for (let i = 0; i < eventsPerBody; i++) {
      if (i > 0) out += ',';
      out += this.event(this.made++);
    }
    return `${out}]`;
  }

  private event(n: number): string {
    const call = Math.floor(n / this.steps);
    const parts = this.templates[call % this.templates.length][n % this.steps];
    return parts.join(sessionId(this.runId, call));
  }
}
