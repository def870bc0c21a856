import { describe, expect, it } from 'vitest';
import { createKeyring, generateMasterKeyText, MasterKeyError, parseMasterKey } from '../core/sealed-box.js';
import type { UpstreamConnectionRow } from '../db/schema/upstream-connections.js';
import { createConnectionOpener, tokenColumns } from './vault-sealing.js';

const keyring = createKeyring([parseMasterKey(generateMasterKeyText())]);
const now = new Date('2026-12-05T00:00:00Z');
const row = (id: string, accessToken: string, refreshToken: string) =>
  ({ upstreamId: id, version: 1, ...tokenColumns(keyring, id, { accessToken, refreshToken, expiresIn: 3600 }, now).values }) as unknown as UpstreamConnectionRow;

describe('createConnectionOpener', () => {
  it('opens an unchanged row to the same tokens without decrypting again, and a changed one afresh', () => {
    let lookups = 0; // every decryption looks its master key up once
    const open = createConnectionOpener({ current: keyring.current, byId: (id) => (lookups++, keyring.byId(id)) });
    const first = row('sis', 'at-1', 'rt-1');
    expect(open(first)).toMatchObject({ upstreamId: 'sis', accessToken: 'at-1', refreshToken: 'rt-1', version: 1 });
    expect(lookups).toBe(2);
    expect(open({ ...first, version: 2 })).toMatchObject({ accessToken: 'at-1', refreshToken: 'rt-1', version: 2 });
    expect(lookups).toBe(2);
    expect(open(row('sis', 'at-2', 'rt-2'))).toMatchObject({ accessToken: 'at-2', refreshToken: 'rt-2' });
    expect(lookups).toBe(4);
    expect(open({ ...first, accessTokenSealed: null, refreshTokenSealed: null })).toMatchObject({ accessToken: undefined, refreshToken: undefined });
  });

  it('still refuses a sealed value moved to another column or row after its own row was opened', () => {
    const open = createConnectionOpener(keyring);
    const sis = row('sis', 'at-1', 'rt-1');
    open(sis);
    open(row('crm', 'at-9', 'rt-9'));
    expect(() => open({ ...sis, accessTokenSealed: sis.refreshTokenSealed })).toThrow(MasterKeyError);
    expect(() => open({ ...row('crm', 'at-9', 'rt-9'), accessTokenSealed: sis.accessTokenSealed })).toThrow(MasterKeyError);
  });
});
