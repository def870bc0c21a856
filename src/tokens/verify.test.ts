// verifyOwnToken: a token we issued passes; every forgery or stale token is invalid_grant with its exact reason.
import { SignJWT, generateKeyPair, type JWTPayload } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GRANT_INVALID, InvalidGrant } from '../core/oauth-errors.js';
import { ISSUER, T0, openTokenPath, type TokenPath } from '../../test/support/token-path.js';
import { rotateSigningKey } from './keystore.js';
import { mintAccessToken } from './mint.js';
import { createCachedVerifier } from './verify-cached.js';
import { verifyOwnToken } from './verify.js';

let p: TokenPath;
beforeEach(async () => {
  p = await openTokenPath();
});
afterEach(() => p.close());

const in5min = new Date(Date.parse(T0) + 300_000);
const iat = Date.parse(T0) / 1000;
const mint = (extra: Record<string, unknown> = {}) =>
  mintAccessToken({ sub: 'alice', aud: ['https://sis.example.edu'], clientId: 'alpha', scope: ['r', 'w'], expiresAt: in5min, extra, act: { sub: 'svc' } }, p.minting);

/** The refusal as the token endpoint sees it: class, public description, private detail. */
async function refusal(run: Promise<unknown>) {
  const err = await run.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(InvalidGrant);
  return { description: (err as InvalidGrant).description, detail: (err as InvalidGrant).detail };
}
const refused = (detail: string) => ({ description: GRANT_INVALID, detail });

/** A token shaped like ours, signed with whatever key and header the attack needs. */
async function forge(header: Record<string, unknown>, key: Parameters<SignJWT['sign']>[0], claims: JWTPayload = {}) {
  const payload = { iss: ISSUER, sub: 'alice', aud: 'a', iat, exp: iat + 300, jti: 'forged', client_id: 'alpha', scope: 'r', ...claims };
  return new SignJWT(payload).setProtectedHeader(header as { alg: string }).sign(key);
}

describe('verifyOwnToken accepts our own token', () => {
  it('returns the exact verified claims', async () => {
    const minted = await mint({ displayName: 'Alice' });
    expect(await verifyOwnToken(minted.token, p.verify)).toEqual({
      sub: 'alice', aud: ['https://sis.example.edu'], clientId: 'alpha', scope: ['r', 'w'], jti: minted.jti,
      issuedAt: new Date(T0), expiresAt: in5min, act: { sub: 'svc' }, lineage: [], extra: { displayName: 'Alice' },
    });
  });

  it('a token granted no scope (scope ""), and refuses a scope that is not a string', async () => {
    const minted = await mintAccessToken({ sub: 'alice', aud: ['a'], clientId: 'alpha', scope: [], expiresAt: in5min }, p.minting);
    await expect(verifyOwnToken(minted.token, p.verify)).resolves.toMatchObject({ scope: [] });
    const { kid, key } = await p.keystore.signingKey();
    const listed = await forge({ alg: 'ES256', kid, typ: 'at+jwt' }, key, { scope: ['r'] });
    expect(await refusal(verifyOwnToken(listed, p.verify))).toEqual(refused('token claim scope is malformed'));
  });

  it('until exp plus the allowed skew, by the injected clock', async () => {
    const { token } = await mint();
    p.clock.set(in5min.getTime() + 59_000);
    await expect(verifyOwnToken(token, p.verify)).resolves.toMatchObject({ sub: 'alice' });
    p.clock.set(in5min.getTime() + 60_000);
    expect(await refusal(verifyOwnToken(token, p.verify))).toEqual(refused('token rejected: ERR_JWT_EXPIRED (exp)'));
  });
});

describe('verifyOwnToken refuses (RFC 8725 §3.1: alg fixed by our keys)', () => {
  it('alg none', async () => {
    const { kid } = await p.keystore.signingKey();
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const body = b64({ iss: ISSUER, sub: 'alice', aud: 'a', exp: iat + 300, iat, jti: 'j', client_id: 'alpha' });
    const header = b64({ alg: 'none', kid, typ: 'at+jwt' });
    expect(await refusal(verifyOwnToken(`${header}.${body}.`, p.verify))).toEqual(refused('token is not a compact JWS'));
    expect(await refusal(verifyOwnToken(`${header}.${body}.AAAA`, p.verify))).toEqual(refused('token rejected: ERR_JOSE_ALG_NOT_ALLOWED'));
  });

  it('HS256 under our kid (key confusion)', async () => {
    const { kid } = await p.keystore.signingKey();
    const token = await forge({ alg: 'HS256', kid, typ: 'at+jwt' }, new TextEncoder().encode('k'.repeat(32)));
    expect(await refusal(verifyOwnToken(token, p.verify))).toEqual(refused('token rejected: ERR_JOSE_ALG_NOT_ALLOWED'));
  });

  it('an unknown kid, and no kid at all', async () => {
    const other = await generateKeyPair('ES256');
    expect(await refusal(verifyOwnToken(await forge({ alg: 'ES256', kid: 'unknown', typ: 'at+jwt' }, other.privateKey), p.verify))).toEqual(refused('token rejected: ERR_JWKS_NO_MATCHING_KEY'));
    expect(await refusal(verifyOwnToken(await forge({ alg: 'ES256', typ: 'at+jwt' }, other.privateKey), p.verify))).toEqual(refused('token rejected: ERR_JWKS_NO_MATCHING_KEY'));
  });

  it('a foreign key presenting our kid', async () => {
    const { kid } = await p.keystore.signingKey();
    const other = await generateKeyPair('ES256');
    expect(await refusal(verifyOwnToken(await forge({ alg: 'ES256', kid, typ: 'at+jwt' }, other.privateKey), p.verify))).toEqual(refused('token rejected: ERR_JWS_SIGNATURE_VERIFICATION_FAILED'));
  });

  it('a wrong typ (an ID token or plain JWT signed by our own key), and another issuer', async () => {
    const { kid, key } = await p.keystore.signingKey();
    expect(await refusal(verifyOwnToken(await forge({ alg: 'ES256', kid, typ: 'JWT' }, key), p.verify))).toEqual(refused('token rejected: ERR_JWT_CLAIM_VALIDATION_FAILED (typ)'));
    expect(await refusal(verifyOwnToken(await forge({ alg: 'ES256', kid }, key), p.verify))).toEqual(refused('token rejected: ERR_JWT_CLAIM_VALIDATION_FAILED (typ)'));
    const elsewhere = await forge({ alg: 'ES256', kid, typ: 'at+jwt' }, key, { iss: 'https://evil.example' });
    expect(await refusal(verifyOwnToken(elsewhere, p.verify))).toEqual(refused('token rejected: ERR_JWT_CLAIM_VALIDATION_FAILED (iss)'));
  });

  it('a token not valid yet (nbf beyond the skew), one whose iat is not a number, one with an unknown crit extension', async () => {
    const { kid, key } = await p.keystore.signingKey();
    const header = { alg: 'ES256', kid, typ: 'at+jwt' };
    await expect(verifyOwnToken(await forge(header, key, { nbf: iat + 60 }), p.verify)).resolves.toMatchObject({ sub: 'alice' });
    expect(await refusal(verifyOwnToken(await forge(header, key, { nbf: iat + 61 }), p.verify))).toEqual(refused('token rejected: ERR_JWT_CLAIM_VALIDATION_FAILED (nbf)'));
    expect(await refusal(verifyOwnToken(await forge(header, key, { iat: String(iat) } as unknown as JWTPayload), p.verify))).toEqual(refused('token rejected: ERR_JWT_CLAIM_VALIDATION_FAILED (iat)'));
    const critical = await new SignJWT({ iss: ISSUER, sub: 'alice', aud: 'a', iat, exp: iat + 300, jti: 'j', client_id: 'alpha', ext: 1 })
      .setProtectedHeader({ ...header, crit: ['ext'], ext: 1 })
      .sign(key, { crit: { ext: true } });
    expect(await refusal(verifyOwnToken(critical, p.verify))).toEqual(refused('token rejected: ERR_JWS_INVALID'));
  });

  it('a token without client_id', async () => {
    const { kid, key } = await p.keystore.signingKey();
    const token = await forge({ alg: 'ES256', kid, typ: 'at+jwt' }, key, { client_id: undefined });
    expect(await refusal(verifyOwnToken(token, p.verify))).toEqual(refused('token rejected: ERR_JWT_CLAIM_VALIDATION_FAILED (client_id)'));
  });

  it('a revoked token', async () => {
    const minted = await mint();
    await p.committer.commit((tx) => p.revocations.revoke(tx, { jti: minted.jti, clientId: 'alpha', revokedAt: new Date(T0), expiresAt: in5min }));
    expect(await refusal(verifyOwnToken(minted.token, p.verify))).toEqual(refused('token revoked'));
  });

  it('a token whose lineage claim is not a short list of ids', async () => {
    const { kid, key } = await p.keystore.signingKey();
    for (const lineage of ['j1', [], [''], [1], Array.from({ length: 9 }, (_, i) => `a${i}`)].filter((l) => !(Array.isArray(l) && l.length === 0))) {
      const token = await forge({ alg: 'ES256', kid, typ: 'at+jwt' }, key, { lineage });
      expect(await refusal(verifyOwnToken(token, p.verify)), JSON.stringify(lineage)).toEqual(refused('token claim lineage is malformed'));
    }
  });

  it('a token that descends from a revoked one, or whose subject was cut off after its iat', async () => {
    const minted = await mintAccessToken({ sub: 'alice', aud: ['a'], clientId: 'alpha', scope: ['r'], expiresAt: in5min, lineage: ['assertion-hash', 'parent'] }, p.minting);
    await p.committer.commit((tx) => p.revocations.revoke(tx, { jti: 'parent', clientId: 'alpha', revokedAt: new Date(T0), expiresAt: in5min }));
    expect(await refusal(verifyOwnToken(minted.token, p.verify))).toEqual(refused('token revoked: it descends from parent, which was revoked'));
    const other = await mint();
    await p.committer.commit((tx) => p.revocations.cutOff(tx, { subject: 'alice', cutoff: new Date(Date.parse(T0) + 1), expiresAt: in5min }));
    expect(await refusal(verifyOwnToken(other.token, p.verify))).toEqual(refused('token revoked: every token of its subject issued before 2026-11-23T10:00:00.001Z was revoked'));
  });

  it('a token signed by a retired key once it is no longer published', async () => {
    const { token } = await mint();
    await rotateSigningKey({ keys: p.signingKeys, keyring: p.keyring, clock: p.clock, audit: p.audit }, 'ES256', 120);
    p.clock.advance(10_000);
    await expect(verifyOwnToken(token, p.verify)).resolves.toMatchObject({ sub: 'alice' });
    // Published for the 120 s asked after the 5 s other instances may go on signing with it (test/ha/keys.test.ts).
    p.clock.advance(115_000);
    expect(await refusal(verifyOwnToken(token, p.verify))).toEqual(refused('token rejected: ERR_JWKS_NO_MATCHING_KEY'));
  });
});

describe('createCachedVerifier re-checks a cached token on every use', () => {
  it('revocation (its own, an ancestor\'s, its subject\'s) and expiry, with the same reasons as verifyOwnToken', async () => {
    const verifyCached = createCachedVerifier(p.verify);
    const minted = await mint();
    await verifyCached(minted.token);
    await p.committer.commit((tx) => p.revocations.revoke(tx, { jti: minted.jti, clientId: 'alpha', revokedAt: new Date(T0), expiresAt: in5min }));
    expect(await refusal(verifyCached(minted.token))).toEqual(refused('token revoked'));

    // Revoked through what it descends from, or its subject, after it was cached.
    const child = await mintAccessToken({ sub: 'bob', aud: ['a'], clientId: 'alpha', scope: ['r'], expiresAt: in5min, lineage: ['parent'] }, p.minting);
    const bobs = await mintAccessToken({ sub: 'bob', aud: ['a'], clientId: 'alpha', scope: ['r'], expiresAt: in5min }, p.minting);
    await verifyCached(child.token);
    await verifyCached(bobs.token);
    await p.committer.commit((tx) => p.revocations.revoke(tx, { jti: 'parent', clientId: 'alpha', revokedAt: new Date(T0), expiresAt: in5min }));
    expect(await refusal(verifyCached(child.token))).toEqual(refused('token revoked: it descends from parent, which was revoked'));
    await verifyCached(bobs.token);
    await p.committer.commit((tx) => p.revocations.cutOff(tx, { subject: 'bob', cutoff: new Date(Date.parse(T0) + 1000), expiresAt: in5min }));
    expect(await refusal(verifyCached(bobs.token))).toEqual(refused('token revoked: every token of its subject issued before 2026-11-23T10:00:01.000Z was revoked'));

    const second = await mint();
    await verifyCached(second.token);
    p.clock.set(in5min.getTime() + 60_000);
    expect(await refusal(verifyCached(second.token))).toEqual(refused('token rejected: ERR_JWT_EXPIRED (exp)'));
  });
});
