// SP key generation on first start, reuse afterwards, and refusal of inconsistent files.
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { chmod, cp, mkdtemp, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SamlConfigError } from './errors.js';
import { SP_KEY_FILES, ensureSpKeys } from './sp-keys.js';

let dir: string;
let generated: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sp-keys-'));
  generated = join(dir, 'certs');
});

/** A copy of the generated folder (key generation is tested once; the rest only needs files). */
async function copyOfGenerated(name: string): Promise<string> {
  const to = join(dir, name);
  await cp(generated, to, { recursive: true });
  return to;
}
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('ensureSpKeys', () => {
  it('generates two RSA-2048 pairs with self-signed certificates, keys 0600, then reuses them', async () => {
    const certs = generated;
    const first = await ensureSpKeys(certs, { commonName: 'sts.univ.edu' });
    expect(first.created).toBe(true);
    expect(first.warnings).toEqual([]);
    for (const [key, cert] of [[first.signingKeyPem, first.signingCertPem], [first.encryptionKeyPem, first.encryptionCertPem]] as const) {
      const x = new X509Certificate(cert);
      expect(x.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
      expect(x.checkPrivateKey(createPrivateKey(key))).toBe(true);
      expect(x.subject).toContain('CN=sts.univ.edu');
      expect(x.verify(x.publicKey)).toBe(true);
    }
    expect(first.signingKeyPem).not.toBe(first.encryptionKeyPem);
    expect((await stat(join(certs, SP_KEY_FILES.signingKey))).mode & 0o777).toBe(0o600);
    expect((await stat(join(certs, SP_KEY_FILES.encryptionKey))).mode & 0o777).toBe(0o600);

    const second = await ensureSpKeys(certs);
    expect(second).toEqual({ ...first, created: false });
  });

  it('refuses a half-present pair instead of silently replacing it', async () => {
    const certs = await copyOfGenerated('half');
    await unlink(join(certs, SP_KEY_FILES.encryptionCert));
    await expect(ensureSpKeys(certs)).rejects.toThrow(SamlConfigError);
    await expect(ensureSpKeys(certs)).rejects.toThrow('sp-encryption.crt is missing');
  });

  it('refuses a key that does not match its certificate', async () => {
    const certs = await copyOfGenerated('mismatch');
    const keys = await ensureSpKeys(certs);
    await writeFile(join(certs, SP_KEY_FILES.signingKey), keys.encryptionKeyPem, { mode: 0o600 });
    await expect(ensureSpKeys(certs)).rejects.toThrow('sp-signing.key does not match sp-signing.crt');
  });

  it('warns about a key readable by others', async () => {
    const certs = await copyOfGenerated('loose');
    await chmod(join(certs, SP_KEY_FILES.signingKey), 0o644);
    const again = await ensureSpKeys(certs);
    expect(again.warnings).toEqual([expect.stringContaining('sp-signing.key is readable by group/others')]);
    expect(await readFile(join(certs, SP_KEY_FILES.signingKey), 'utf8')).toBe(again.signingKeyPem);
  });
});
