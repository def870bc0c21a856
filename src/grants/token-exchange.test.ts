// RFC 8693 token exchange with our own tokens as subject and actor tokens (the real own-token handler, keystore,
// revocation store and clock): default audience, narrowing, delegation, and the exact refusals.
import { decodeJwt } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GRANT_TYPES, TOKEN_TYPES } from '../core/constants.js';
import { GRANT_INVALID, InvalidGrant, InvalidRequest, InvalidScope } from '../core/oauth-errors.js';
import { createOwnTokenHandler } from '../exchange/subject-tokens/own-token.js';
import { mintAccessToken, type AccessTokenClaims } from '../tokens/mint.js';
import { MAX_LINEAGE } from '../tokens/revocations.js';
import { REPORTS, SIS, client, form, policy } from '../../test/support/grant-fixtures.js';
import { ISSUER, T0, openTokenPath, type TokenPath } from '../../test/support/token-path.js';
import { createSubjectTokenRegistry } from './subject-tokens.js';
import { createTokenExchangeGrant } from './token-exchange.js';

let p: TokenPath;
beforeEach(async () => {
  p = await openTokenPath();
});
afterEach(() => p.close());

const at = TOKEN_TYPES.accessToken;
const grant = () =>
  createTokenExchangeGrant({ ...p.minting, policy, subjectTokens: createSubjectTokenRegistry([createOwnTokenHandler(TOKEN_TYPES.jwt, p.verify), createOwnTokenHandler(at, p.verify)]) });
const subjectToken = async (claims: Partial<AccessTokenClaims> = {}) =>
  mintAccessToken({ sub: 'alice', aud: [SIS], clientId: 'alpha', scope: ['r', 'w'], expiresAt: new Date(Date.parse(T0) + 300_000), extra: { displayName: 'Alice' }, ...claims }, p.minting);
const exchange = (params: Record<string, string>, as = client('alpha')) => grant().handle(form({ grant_type: GRANT_TYPES.tokenExchange, ...params }), as);
const iat = Date.parse(T0) / 1000;

describe('subject token registry', () => {
  it('refuses two handlers for one subject_token_type at start', () => {
    expect(() => createSubjectTokenRegistry([createOwnTokenHandler(at, p.verify), createOwnTokenHandler(at, p.verify)])).toThrow(new Error(`two subject token handlers for ${at}`));
  });
});

describe('token exchange decisions', () => {
  it("keeps the subject token's audience, scope and claims when the request names none (RFC 9068 §3)", async () => {
    const subject = await subjectToken();
    p.clock.advance(60_000);
    const result = await exchange({ subject_token: subject.token, subject_token_type: at });
    expect(result).toEqual({
      // RFC 6749 §5.1: no scope was requested, so the granted one is always echoed.
      issuedTokenType: at, minted: result.minted, sub: 'alice', aud: [SIS], scope: ['r', 'w'], scopeDiffers: true,
      audit: { subjectTokenType: at, subjectToken: subject.jti },
    });
    // RFC 8693 §2.1: no longer than the subject token it came from.
    expect(decodeJwt(result.minted.token)).toEqual({
      displayName: 'Alice', iss: ISSUER, sub: 'alice', aud: SIS, client_id: 'alpha', scope: 'r w', iat: iat + 60, exp: iat + 300, jti: result.minted.jti,
      // Its parent, the subject token, last.
      lineage: [subject.jti],
    });
  });

  it('moves to another audience within policy and narrows the scope, echoing requested_token_type', async () => {
    const subject = await subjectToken();
    const result = await exchange({ subject_token: subject.token, subject_token_type: at, audience: REPORTS, scope: 'r', requested_token_type: TOKEN_TYPES.jwt });
    expect({ aud: result.aud, scope: result.scope, issued: result.issuedTokenType, expiresIn: result.minted.expiresIn }).toEqual({ aud: [REPORTS], scope: ['r'], issued: TOKEN_TYPES.jwt, expiresIn: 120 });
  });

  it('never widens the scope beyond the subject token', async () => {
    const subject = await subjectToken({ scope: ['r'] });
    await expect(exchange({ subject_token: subject.token, subject_token_type: at, scope: 'w' })).rejects.toMatchObject({ constructor: InvalidScope, detail: 'scope "w" is not allowed by the subject token' });
  });

  it('nests the actor into act and drops may_act once the named actor uses it (RFC 8693 §4.1, §4.4)', async () => {
    const subject = await subjectToken({ mayAct: { sub: 'svc' } });
    const actor = await subjectToken({ sub: 'svc', extra: {} });
    const result = await exchange({ subject_token: subject.token, subject_token_type: at, actor_token: actor.token, actor_token_type: at });
    expect(result.audit).toEqual({ subjectTokenType: at, subjectToken: subject.jti, actor: 'svc' });
    const claims = decodeJwt(result.minted.token);
    expect({ act: claims.act, may_act: claims.may_act }).toEqual({ act: { sub: 'svc' }, may_act: undefined });
  });

  it('refuses an actor that may_act does not name', async () => {
    const subject = await subjectToken({ mayAct: { sub: 'svc' } });
    const actor = await subjectToken({ sub: 'mallory' });
    await expect(exchange({ subject_token: subject.token, subject_token_type: at, actor_token: actor.token, actor_token_type: at })).rejects.toMatchObject({
      constructor: InvalidGrant, description: GRANT_INVALID, detail: 'actor "mallory" is not allowed by the subject token\'s may_act',
    });
  });

  it("refuses another client's token, and a revoked one", async () => {
    const subject = await subjectToken();
    await expect(exchange({ subject_token: subject.token, subject_token_type: at }, client('beta'))).rejects.toMatchObject({
      constructor: InvalidGrant, detail: `token ${subject.jti} was issued to client alpha, not to or for beta`,
    });
    await p.committer.commit((tx) => p.revocations.revoke(tx, { jti: subject.jti, clientId: 'alpha', revokedAt: new Date(T0), expiresAt: subject.expiresAt }));
    await expect(exchange({ subject_token: subject.token, subject_token_type: at })).rejects.toMatchObject({ constructor: InvalidGrant, detail: 'token revoked' });
  });
});

describe('lineage: what an exchanged token descends from', () => {
  const exchanged = async (subject: { token: string }) => (await exchange({ subject_token: subject.token, subject_token_type: at })).minted;

  it('grows by the parent at each exchange; revoking a token refuses every descendant, not its ancestors', async () => {
    const root = await subjectToken();
    const child = await exchanged(root);
    const grandchild = await exchanged(child);
    expect(decodeJwt(grandchild.token).lineage).toEqual([root.jti, child.jti]);
    await p.committer.commit((tx) => p.revocations.revoke(tx, { jti: child.jti, clientId: 'alpha', revokedAt: new Date(T0), expiresAt: child.expiresAt }));
    await expect(exchanged(grandchild)).rejects.toMatchObject({ constructor: InvalidGrant, detail: `token revoked: it descends from ${child.jti}, which was revoked` });
    await expect(exchanged(child)).rejects.toMatchObject({ detail: 'token revoked' });
    await expect(exchanged(root)).resolves.toMatchObject({ jti: expect.any(String) });
  });

  it("refuses a token of a subject cut off after the token's iat", async () => {
    const subject = await subjectToken();
    const cutoff = new Date(Date.parse(T0) + 500);
    await p.committer.commit((tx) => p.revocations.cutOff(tx, { subject: 'alice', cutoff, expiresAt: new Date(Date.parse(T0) + 3_600_000) }));
    await expect(exchanged(subject)).rejects.toMatchObject({ detail: 'token revoked: every token of its subject issued before 2026-11-23T10:00:00.500Z was revoked' });
  });

  it(`stops at ${MAX_LINEAGE} ancestors, so the check stays one bounded lookup`, async () => {
    let token = await subjectToken();
    for (let i = 0; i < MAX_LINEAGE; i++) token = await exchanged(token);
    expect(decodeJwt(token.token).lineage).toHaveLength(MAX_LINEAGE);
    await expect(exchanged(token)).rejects.toMatchObject({ constructor: InvalidGrant, detail: `the subject token already has ${MAX_LINEAGE} ancestors: a token may have at most ${MAX_LINEAGE}` });
  });
});

describe('token exchange request refusals (RFC 8693 §2.1, §2.2.2)', () => {
  it.each<[string, Record<string, string>, string, string]>([
    ['no subject_token', { subject_token_type: at }, 'subject_token is required', 'subject_token is required'],
    ['no subject_token_type', { subject_token: 'SUBJECT' }, 'subject_token_type is required', 'subject_token_type is required'],
    ['an unsupported subject_token_type', { subject_token: 'SUBJECT', subject_token_type: 'urn:x' }, 'subject_token_type is not supported', 'unsupported subject_token_type "urn:x"'],
    ['an unsupported actor_token_type', { subject_token: 'SUBJECT', subject_token_type: at, actor_token: 'SUBJECT', actor_token_type: 'urn:y' }, 'actor_token_type is not supported', 'unsupported actor_token_type "urn:y"'],
    ['actor_token_type without actor_token', { subject_token: 'SUBJECT', subject_token_type: at, actor_token_type: at }, 'actor_token_type given without actor_token', 'actor_token_type given without actor_token'],
    ['a requested_token_type we cannot issue', { subject_token: 'SUBJECT', subject_token_type: at, requested_token_type: TOKEN_TYPES.refreshToken }, 'requested_token_type is not supported', `requested_token_type "${TOKEN_TYPES.refreshToken}"`],
  ])('refuses %s as invalid_request', async (_name, params, description, detail) => {
    const subject = await subjectToken();
    const withToken = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, v === 'SUBJECT' ? subject.token : v]));
    await expect(exchange(withToken)).rejects.toMatchObject({ constructor: InvalidRequest, description, detail });
  });

  it('refuses a subject token that is not ours as invalid_grant', async () => {
    await expect(exchange({ subject_token: 'a.b.c', subject_token_type: at })).rejects.toMatchObject({ constructor: InvalidGrant, detail: 'token rejected: ERR_JWS_INVALID' });
  });
});
