// Pairwise subjects: stable per audience (also across restarts), unrelated across audiences.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createKeyring, generateMasterKeyText, parseMasterKey } from '../core/sealed-box.js';
import { openTokenPath, type TokenPath } from '../../test/support/token-path.js';
import { createPairwiseSubjects } from './pairwise.js';
import { createServiceSecretStore } from './service-secrets.js';

let p: TokenPath;
beforeEach(async () => {
  p = await openTokenPath();
});
afterEach(() => p.close());

const pairwise = (keyring = p.keyring) => createPairwiseSubjects({ secrets: createServiceSecretStore(p.database.db), commit: p.committer.commit }, keyring, p.clock.now());

describe('pairwise subjects', () => {
  it('are stable for one audience and different across audiences and people', async () => {
    const sub = await pairwise();
    const sis = sub('alice@univ.edu', 'https://sis.example.edu');
    expect(sis).toMatch(/^[\w-]{43}$/);
    expect(sub('alice@univ.edu', 'https://sis.example.edu')).toBe(sis);
    expect(sub('alice@univ.edu', 'https://vendor.example.com')).not.toBe(sis);
    expect(sub('bob@univ.edu', 'https://sis.example.edu')).not.toBe(sis);
    expect(sis).not.toContain('alice');
  });

  it('stay the same across a restart (the secret is made once and kept sealed), and differ under another database', async () => {
    const first = (await pairwise())('alice', 'aud');
    expect((await pairwise())('alice', 'aud')).toBe(first);
    const other = await openTokenPath();
    try {
      const elsewhere = await createPairwiseSubjects({ secrets: createServiceSecretStore(other.database.db), commit: other.committer.commit }, other.keyring, other.clock.now());
      expect(elsewhere('alice', 'aud')).not.toBe(first);
    } finally {
      other.close();
    }
  });

  it('stay the same after a master-key rotation that keeps the previous key', async () => {
    const first = (await pairwise())('alice', 'aud');
    const rotated = createKeyring([parseMasterKey(generateMasterKeyText()), p.keyring.current]);
    expect((await pairwise(rotated))('alice', 'aud')).toBe(first);
  });
});
