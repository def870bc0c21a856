// RFC 7522 SAML 2.0 bearer grant through the real SAML engine (signed test assertions, replay store on SQLite)
// and the real saml2 subject-token handler, to a minted token.
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GRANT_TYPES } from '../core/constants.js';
import { sha256b64u } from '../core/hash.js';
import { GRANT_INVALID, InvalidGrant, InvalidRequest } from '../core/oauth-errors.js';
import { createSaml2Handler } from '../exchange/subject-tokens/saml2.js';
import { REPORTS, SIS, client, form, policy } from '../../test/support/grant-fixtures.js';
import { toB64url } from '../../test/support/saml/idp-signer.js';
import { ACS_URL, TOKEN_ENDPOINT, createSamlWorld, type SamlWorld } from '../../test/support/saml/world.js';
import { ISSUER, openTokenPath, type TokenPath } from '../../test/support/token-path.js';
import { createSaml2BearerGrant } from './saml2-bearer.js';

let w: SamlWorld;
let p: TokenPath;
beforeAll(async () => {
  [w, p] = await Promise.all([createSamlWorld(), openTokenPath()]);
});
afterAll(() => p.close());

const grant = () => createSaml2BearerGrant({ keystore: p.keystore, clock: w.clock, issuer: ISSUER, policy, saml2: createSaml2Handler({ sp: w.provider, tokenEndpoint: TOKEN_ENDPOINT }) });
const bearer = (over: Parameters<SamlWorld['idps']['shib']['bearerAssertion']>[1] = {}) => toB64url(w.idps.shib.bearerAssertion(TOKEN_ENDPOINT, over));
const SUBJECT = 'hk3p5q2zlz7jpzhcv5h3atbieq3euhht@univ.edu';
const assertionIdOf = (b64url: string) => /ID="([^"]+)"/.exec(Buffer.from(b64url, 'base64url').toString())![1]!;

describe('SAML 2.0 bearer grant (RFC 7522)', () => {
  it('registers under the saml2-bearer grant type', () => {
    expect(grant().grantType).toBe(GRANT_TYPES.saml2Bearer);
  });

  it("mints for the assertion's subject with only the claims the client releases, at the client's default audience", async () => {
    const assertion = bearer();
    const alpha = client('alpha', { defaultAudience: SIS, release: ['displayName', 'affiliation'] });
    const result = await grant().handle(form({ assertion, scope: 'r' }), alpha);
    expect(result).toEqual({ audit: {}, minted: result.minted, sub: SUBJECT, aud: [SIS], scope: ['r'], scopeDiffers: false });
    const iat = Math.floor(w.clock.now().getTime() / 1000);
    expect(decodeJwt(result.minted.token)).toEqual({
      displayName: 'Alice Example', affiliation: ['student', 'member'],
      iss: ISSUER, sub: SUBJECT, aud: SIS, client_id: 'alpha', scope: 'r', iat, exp: iat + 300, jti: result.minted.jti,
      // It descends from the assertion (by the hash of its ID, as the audit names it).
      lineage: [sha256b64u(assertionIdOf(assertion))],
    });
  });

  it('never outlives the assertion (its bearer NotOnOrAfter)', async () => {
    const notOnOrAfter = new Date(w.clock.now().getTime() + 45_000);
    const assertion = bearer({ confirmations: [{ recipient: TOKEN_ENDPOINT, notOnOrAfter }] });
    const result = await grant().handle(form({ assertion, audience: REPORTS }), client('alpha'));
    expect(result.minted.expiresIn).toBe(45);
  });

  it('accepts an assertion once (replay store)', async () => {
    const assertion = bearer();
    await grant().handle(form({ assertion, audience: SIS }), client('alpha'));
    await expect(grant().handle(form({ assertion, audience: SIS }), client('alpha'))).rejects.toMatchObject({
      constructor: InvalidGrant, description: GRANT_INVALID, detail: 'saml assertion refused: replayed: assertion ID already used',
    });
  });

  it('refuses an assertion confirmed for another recipient (RFC 7522 §3: the token endpoint)', async () => {
    const assertion = toB64url(w.idps.shib.bearerAssertion(ACS_URL));
    await expect(grant().handle(form({ assertion, audience: SIS }), client('alpha'))).rejects.toMatchObject({
      constructor: InvalidGrant, description: GRANT_INVALID, detail: `saml assertion refused: recipient_mismatch: Recipient "${ACS_URL}"`,
    });
  });

  it('refuses a request without assertion, and one with it twice', async () => {
    await expect(grant().handle(form({ audience: SIS }), client('alpha'))).rejects.toMatchObject({ constructor: InvalidRequest, detail: 'assertion is required' });
    await expect(grant().handle(form({ assertion: ['a', 'b'] }), client('alpha'))).rejects.toMatchObject({ constructor: InvalidRequest, detail: 'parameter assertion is included more than once' });
  });

  it('refers to the assertion by the hash of its ID only', async () => {
    const assertion = bearer();
    const subject = await createSaml2Handler({ sp: w.provider, tokenEndpoint: TOKEN_ENDPOINT }).validate(assertion, { client: client('alpha') });
    expect(subject.reference).toBe(sha256b64u(assertionIdOf(assertion)));
  });
});
