import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** Derives purpose-bound keys from the one server secret (SECRET_KEY). */
export class ServerSecret {
  constructor(private readonly secret: Buffer) {
    if (secret.length < 32) throw new Error('the server secret must be at least 32 bytes');
  }

  /** A 32-byte key for one purpose; different purposes never share a key. */
  key(purpose: string): Buffer {
    return Buffer.from(hkdfSync('sha256', this.secret, Buffer.alloc(0), `cdr-analytics:${purpose}`, 32));
  }

  /** The secret from SECRET_KEY, or from `file` (created with a random value on first use). */
  static load(configured: string | undefined, file: string): ServerSecret {
    if (configured) return new ServerSecret(Buffer.from(configured, 'utf8'));
    if (!existsSync(file)) {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, randomBytes(48).toString('base64url'), { mode: 0o600, flag: 'wx' });
    }
    chmodSync(file, 0o600);
    return new ServerSecret(Buffer.from(readFileSync(file, 'utf8').trim(), 'utf8'));
  }
}

/** AES-256-GCM for secrets we must send back out (e.g. PortSIP WSI passwords). */
export class SecretBox {
  private readonly key: Buffer;
  constructor(secret: ServerSecret) {
    this.key = secret.key('secret-box');
  }

  /** `v1.<iv>.<tag>.<ciphertext>`, base64url parts. */
  seal(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return ['v1', iv, cipher.getAuthTag(), body]
      .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
      .join('.');
  }

  /** Decrypts a sealed value; throws if it was tampered with or sealed under another secret. */
  open(sealed: string): string {
    const [version, iv, tag, body] = sealed.split('.');
    if (version !== 'v1' || !iv || !tag || body === undefined) throw new Error('not a sealed secret');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
  }
}
