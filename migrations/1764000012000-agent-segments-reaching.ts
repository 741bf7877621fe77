import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Replaces the GiST range index of agent_segments with a function that finds the segments of an
 * agent reaching a window through the primary key alone.
 *
 * The segments of one timeline (agent, layer, queue) never overlap: a segment ends where the next
 * begins, and of several starting at one instant all but the last are zero-length. So of the
 * segments that started before `from`, only the latest of each timeline can reach `from`; the rest
 * of the window is a range of the primary key (tenant, agent, layer, queue, started_at, ordinal)
 * per timeline, and the timelines themselves are a skip scan of the same index. Keeping the GiST
 * index up to date cost the agent-timeline projection a third of its segment inserts (catch-up
 * of 1M events on 2 cores: 9,529 -> 10,614 events/s without it), and the projection's own reads
 * of recent segments were slower through it than through the primary key.
 */
export class AgentSegmentsReaching1764000012000 implements MigrationInterface {
  name = 'AgentSegmentsReaching1764000012000';

  async up(q: QueryRunner): Promise<void> {
    // Not inlined on purpose (the SET clause prevents it): inlined, the planner cannot know that
    // an agent has a handful of timelines and estimated whole histories, so every projection
    // batch and most reports paid 250-500 ms of JIT compilation for a plan that runs in a few ms.
    // ROWS 20 is the estimate callers plan with; inside, JIT is off for the same reason.
    // Closed bounds, as the index had them: a segment ending exactly at p_from reaches it, and a
    // zero-length segment inside the window is in it. p_to NULL: no end; an empty window
    // (p_to <= p_from) reaches nothing. The bound is written COALESCE(p_to, 'infinity'), not
    // (p_to IS NULL OR ...): the function's statements are planned with parameters, and only the
    // first form is an index condition (the second read every later segment and filtered them).
    await q.query(`
      CREATE FUNCTION agent_segments_reaching(p_tenant uuid, p_agent text, p_from timestamptz, p_to timestamptz)
      RETURNS SETOF agent_segments
      LANGUAGE sql STABLE PARALLEL SAFE ROWS 20 SET jit = off
      AS $fn$
        WITH RECURSIVE timelines(layer, queue) AS (
          (SELECT s.layer, s.queue FROM agent_segments s
           WHERE s.tenant_id = p_tenant AND s.agent = p_agent
           ORDER BY s.layer, s.queue LIMIT 1)
          UNION ALL
          SELECT n.layer, n.queue FROM timelines t
          CROSS JOIN LATERAL (
            SELECT s.layer, s.queue FROM agent_segments s
            WHERE s.tenant_id = p_tenant AND s.agent = p_agent AND (s.layer, s.queue) > (t.layer, t.queue)
            ORDER BY s.layer, s.queue LIMIT 1
          ) n
        )
        SELECT seg.* FROM timelines t
        CROSS JOIN LATERAL (
          (SELECT s.* FROM agent_segments s
           WHERE s.tenant_id = p_tenant AND s.agent = p_agent AND s.layer = t.layer AND s.queue = t.queue
             AND s.started_at < p_from
           ORDER BY s.started_at DESC, s.ordinal DESC LIMIT 1)
          UNION ALL
          SELECT s.* FROM agent_segments s
          WHERE s.tenant_id = p_tenant AND s.agent = p_agent AND s.layer = t.layer AND s.queue = t.queue
            AND s.started_at >= p_from AND s.started_at < COALESCE(p_to, 'infinity')
        ) seg
        WHERE (seg.ended_at IS NULL OR seg.ended_at >= p_from) AND (p_to IS NULL OR p_to > p_from)
      $fn$
    `);
    await q.query(`DROP INDEX IF EXISTS agent_segments_range_idx`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX agent_segments_range_idx ON agent_segments USING gist (tenant_id, agent, tstzrange(started_at, ended_at, '[]'))`,
    );
    await q.query(`DROP FUNCTION agent_segments_reaching(uuid, text, timestamptz, timestamptz)`);
  }
}
