import { createHash, randomBytes } from 'node:crypto';
import { parse as parseAuthHeader } from 'auth-header';
import { Queryable } from '@app/platform';

/** A key as shown once to its owner: `cdr_` + 43 characters of base64url (256 random bits). */
const KEY_FORMAT = /^cdr_[A-Za-z0-9_-]{43}$/;

/** The stored form: SHA-256 (a 256-bit random key needs no slow hash; lookups stay one index probe). */
export function hashApiKey(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

export interface CreatedApiKey {
  id: string;
  tenantId: string;
  name: string;
  /** Shown once; only its hash is stored. */
  key: string;
}

/** Creates a key for a tenant (throws when the tenant does not exist). */
export async function createApiKey(db: Queryable, tenantId: string, name = 'default'): Promise<CreatedApiKey> {
  const key = `cdr_${randomBytes(32).toString('base64url')}`;
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO api_keys (tenant_id, name, key_hash, key_prefix) VALUES ($1, $2, $3, $4) RETURNING id`,
    [tenantId, name, hashApiKey(key), key.slice(0, 8)],
  );
  return { id: rows[0].id, tenantId, name, key };
}

/** Revokes a key by id; returns false when there is no such key (or it was already revoked). */
export async function revokeApiKey(db: Queryable, id: string): Promise<boolean> {
  const { rowCount } = await db.query(`UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL`, [
    id,
  ]);
  return rowCount === 1;
}

/** The tenant of a valid, unrevoked key, else null. Malformed keys never reach the database. */
export async function tenantOfApiKey(db: Queryable, key: string): Promise<{ tenantId: string; keyId: string } | null> {
  if (!KEY_FORMAT.test(key)) return null;
  const { rows } = await db.query<{ id: string; tenant_id: string }>(
    `SELECT id, tenant_id FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL`,
    [hashApiKey(key)],
  );
  return rows.length ? { tenantId: rows[0].tenant_id, keyId: rows[0].id } : null;
}

/** The token of an `Authorization: Bearer <token>` header, else undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  try {
    const parsed = parseAuthHeader(header ?? '');
    return parsed.scheme.toLowerCase() === 'bearer' && typeof parsed.token === 'string' ? parsed.token : undefined;
  } catch {
    return undefined;
  }
}

/** Why a request has no tenant (the message of its 401). */
export const AUTH_PROBLEMS = {
  missing: 'send an API key as Authorization: Bearer <key>',
  invalid: 'the API key is not valid or was revoked',
} as const;

/** The tenant of a request's `Authorization: Bearer <api key>`, or the reason for a 401. */
export async function authenticateBearer(
  db: Queryable,
  authorization: string | undefined,
): Promise<{ tenantId: string } | { problem: string }> {
  const token = bearerToken(authorization);
  if (!token) return { problem: AUTH_PROBLEMS.missing };
  const found = await tenantOfApiKey(db, token);
  return found ? { tenantId: found.tenantId } : { problem: AUTH_PROBLEMS.invalid };
}
