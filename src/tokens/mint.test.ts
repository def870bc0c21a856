// RFC 9068 access tokens as minted: the exact header and claim set, signed by the active key of the keystore.
import { compactVerify, createLocalJWKSet, decodeJwt, decodeProtectedHeader } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ISSUER, T0, openTokenPath, type TokenPath } from '../../test/support/token-path.js';
import { mintAccessToken } from './mint.js';
import { MAX_LINEAGE } from './revocations.js';

let p: TokenPath;
beforeEach(async () => {
  p = await openTokenPath();
});
afterEach(() => p.close());

const iat = Date.parse(T0) / 1000;
const in5min = new Date(Date.parse(T0) + 300_000);

describe('mintAccessToken (RFC 9068 §2)', () => {
  it('signs header {alg, kid, typ: at+jwt} and exactly the registered claims of §2.2', async () => {
    const { kid } = await p.keystore.signingKey();
    const minted = await mintAccessToken({ sub: 'alice@univ.edu', aud: ['https://sis.example.edu'], clientId: 'alpha', scope: ['student.read', 'course.read'], expiresAt: in5min }, p.minting);
    expect(decodeProtectedHeader(minted.token)).toEqual({ alg: 'ES256', kid, typ: 'at+jwt' });
    expect(decodeJwt(minted.token)).toEqual({
      iss: ISSUER,
      sub: 'alice@univ.edu',
      aud: 'https://sis.example.edu',
      exp: iat + 300,
      iat,
      jti: minted.jti,
      client_id: 'alpha',
      scope: 'student.read course.read',
    });
    expect(minted).toEqual({ token: minted.token, jti: minted.jti, issuedAt: new Date(T0), expiresAt: in5min, expiresIn: 300 });
    expect(minted.jti).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    // The signature is the active key's: another library (jose) verifies it under the JWK Set we publish.
    await expect(compactVerify(minted.token, createLocalJWKSet(await p.keystore.publicJwks()))).resolves.toMatchObject({ protectedHeader: { alg: 'ES256', kid, typ: 'at+jwt' } });
  });

  it('gives every token its own jti', async () => {
    const claims = { sub: 's', aud: ['a'], clientId: 'c', scope: [], expiresAt: in5min };
    const [one, two] = await Promise.all([mintAccessToken(claims, p.minting), mintAccessToken(claims, p.minting)]);
    expect(one!.jti).not.toBe(two!.jti);
  });

  it('keeps aud an array for several audiences, carries act and may_act (RFC 8693 §4.1, §4.4), and an empty scope', async () => {
    const minted = await mintAccessToken(
      { sub: 'alice', aud: ['a', 'b'], clientId: 'beta', scope: [], expiresAt: in5min, act: { sub: 'svc', act: { sub: 'old' } }, mayAct: { sub: 'svc', iss: ISSUER } },
      p.minting,
    );
    expect(decodeJwt(minted.token)).toEqual({
      iss: ISSUER, sub: 'alice', aud: ['a', 'b'], exp: iat + 300, iat, jti: minted.jti, client_id: 'beta', scope: '',
      act: { sub: 'svc', act: { sub: 'old' } }, may_act: { sub: 'svc', iss: ISSUER },
    });
  });

  it('carries what the token descends from as lineage (none: no claim), at most MAX_LINEAGE ids', async () => {
    const claims = { sub: 'alice', aud: ['a'], clientId: 'alpha', scope: ['r'], expiresAt: in5min };
    expect(decodeJwt((await mintAccessToken({ ...claims, lineage: ['assertion-hash', 'parent-jti'] }, p.minting)).token).lineage).toEqual(['assertion-hash', 'parent-jti']);
    expect(decodeJwt((await mintAccessToken({ ...claims, lineage: [] }, p.minting)).token)).not.toHaveProperty('lineage');
    const tooLong = Array.from({ length: MAX_LINEAGE + 1 }, (_, i) => `a${i}`);
    await expect(mintAccessToken({ ...claims, lineage: tooLong }, p.minting)).rejects.toThrow(`a lineage of ${MAX_LINEAGE + 1} ids: at most ${MAX_LINEAGE}`);
  });

  it('releases extra attributes but never lets one override a registered claim', async () => {
    const extra = { displayName: 'Alice', affiliation: ['student'], lineage: ['forged'], sub: 'mallory', iss: 'evil', aud: 'x', exp: 9e9, jti: 'j', client_id: 'evil', scope: 'admin', act: { sub: 'x' }, cnf: {}, nbf: 0 };
    const minted = await mintAccessToken({ sub: 'alice', aud: ['a'], clientId: 'alpha', scope: ['r'], expiresAt: in5min, extra }, p.minting);
    expect(decodeJwt(minted.token)).toEqual({
      displayName: 'Alice', affiliation: ['student'],
      iss: ISSUER, sub: 'alice', aud: 'a', exp: iat + 300, iat, jti: minted.jti, client_id: 'alpha', scope: 'r',
    });
  });

  it('truncates to whole seconds (RFC 7519 NumericDate) and reports expires_in from them', async () => {
    p.clock.set(Date.parse(T0) + 999);
    const minted = await mintAccessToken({ sub: 's', aud: ['a'], clientId: 'c', scope: [], expiresAt: new Date(Date.parse(T0) + 60_500) }, p.minting);
    expect({ iat: decodeJwt(minted.token).iat, exp: decodeJwt(minted.token).exp }).toEqual({ iat, exp: iat + 60 });
    expect(minted).toMatchObject({ issuedAt: new Date(T0), expiresAt: new Date(Date.parse(T0) + 60_000), expiresIn: 60 });
  });
});
