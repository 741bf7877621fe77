import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SecretBox, ServerSecret } from './secret-box';

describe('ServerSecret and SecretBox', () => {
  const secret = new ServerSecret(Buffer.from('x'.repeat(40)));

  it('round-trips and detects tampering or another secret', () => {
    const box = new SecretBox(secret);
    const sealed = box.seal('pässwörd');
    expect(sealed).toMatch(/^v1\./);
    expect(sealed).not.toContain('pässwörd');
    expect(box.open(sealed)).toBe('pässwörd');
    expect(box.seal('same')).not.toBe(box.seal('same')); // random IV
    const parts = sealed.split('.');
    parts[3] = Buffer.from('garbage').toString('base64url');
    expect(() => box.open(parts.join('.'))).toThrow();
    expect(() => new SecretBox(new ServerSecret(Buffer.from('y'.repeat(40)))).open(sealed)).toThrow();
    expect(() => box.open('plain')).toThrow('not a sealed secret');
  });

  it('derives distinct keys per purpose', () => {
    expect(secret.key('a').equals(secret.key('b'))).toBe(false);
    expect(secret.key('a')).toHaveLength(32);
  });

  it('creates a private secret file once and reuses it', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'secret-')), 'nested', 'secret.key');
    const a = ServerSecret.load(undefined, file);
    const b = ServerSecret.load(undefined, file);
    expect(a.key('p').equals(b.key('p'))).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8').length).toBeGreaterThanOrEqual(60);
    expect(() => new ServerSecret(Buffer.from('short'))).toThrow('at least 32 bytes');
  });
});
