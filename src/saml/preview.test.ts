// Claim rules on both entry points of the engine (ACS Response, RFC 7522 bearer assertion), and `claims preview`:
// the same pipeline on a saved Response, skipping only freshness, the login binding and the replay record.
import { beforeAll, describe, expect, it } from 'vitest';
import { compileClaimRules } from '../claims/rules.js';
import { ATTR } from './constants.js';
import { createSamlPreview } from './preview.js';
import type { IdpSettings } from './settings.js';
import { ALG, aliceAttributes, toB64, toB64url } from '../../test/support/saml/idp-signer.js';
import { TOKEN_ENDPOINT, createSamlWorld, type IdpName, type SamlWorld } from '../../test/support/saml/world.js';

const ESI = 'urn:schac:personalUniqueCode:int:esi:univ.edu:';
const RULES = compileClaimRules({
  student_id: { from: 'schacPersonalUniqueCode', extract: '^urn:schac:personalUniqueCode:int:esi:univ\\.edu:(.+)$', pick: 'one' },
  affiliation: { from: 'scopedAffiliation', strip_scope: true },
  broken: { cel: 'claims.nickname[0]' },
});
const attributes = [...aliceAttributes(), { name: ATTR.schacPersonalUniqueCode, values: [`${ESI}s1000001`, 'urn:schac:personalUniqueCode:nl:local:univ.edu:employeeid:9'] }];
const RULED_CLAIMS = {
  eppn: 'alice@univ.edu',
  affiliation: ['student'],
  scopedAffiliation: ['student@univ.edu'],
  mail: 'alice@univ.edu',
  displayName: 'Alice Example',
  pairwiseId: 'HK3P5Q2ZLZ7JPZHCV5H3ATBIEQ3EUHHT@univ.edu',
  subjectId: 'alice1234@univ.edu',
  schacPersonalUniqueCode: [`${ESI}s1000001`, 'urn:schac:personalUniqueCode:nl:local:univ.edu:employeeid:9'],
  student_id: 's1000001',
};
const BROKEN = { attribute: 'broken', reason: 'rule_failed', detail: 'field not found: nickname (at line 1, column 7)' };

let w: SamlWorld;
const settings = (): IdpSettings[] => (Object.keys(w.settings) as IdpName[]).map((n) => ({ ...w.settings[n], claimRules: RULES }));
beforeAll(async () => {
  w = await createSamlWorld();
});

/** A signed Response from `idp` whose every instant lies `hoursAgo` in the past. */
function agedResponse(idp: IdpName, requestId: string | null, hoursAgo: number, sign: 'response' | 'both' = 'response', encrypt = true) {
  const at = new Date(w.clock.now().getTime() - hoursAgo * 3600_000);
  const later = new Date(at.getTime() + 5 * 60_000);
  const cfg = w.idps[idp].cfg;
  return w.idps[idp].response({
    requestId,
    sign,
    ...(encrypt ? { encrypt: ALG.aes256gcm } : {}),
    assertion: {
      attributes,
      issueInstant: at,
      confirmations: [{ recipient: cfg.sp.acsUrl, notOnOrAfter: later, inResponseTo: requestId }],
      conditions: { notBefore: at, notOnOrAfter: later, audiences: [[cfg.sp.entityId]] },
      authn: { instant: new Date(at.getTime() - 10_000), sessionIndex: '_s' },
    },
    response: { issueInstant: at },
  });
}

describe('claim rules in the engine', () => {
  it('the ACS login carries the computed claims; a failed rule is dropped with its reason', async () => {
    const provider = w.providerWith({ shib: { claimRules: RULES } });
    const login = await provider.validatePostResponse(toB64(await agedResponse('shib', '_req-1', 0)), { requestId: '_req-1' });
    expect({ ...login.claims }).toEqual(RULED_CLAIMS);
    expect(login.dropped).toEqual([BROKEN]);
  });

  it('so does an RFC 7522 bearer assertion (the same prepareLogin)', async () => {
    const provider = w.providerWith({ ssp: { claimRules: RULES } });
    const login = await provider.validateBearerAssertion(toB64url(w.idps.ssp.bearerAssertion(TOKEN_ENDPOINT, { attributes })), { recipient: TOKEN_ENDPOINT });
    expect(login.claims.student_id).toBe('s1000001');
  });
});

describe('claims preview of a saved Response', () => {
  it('judges a three-hour-old response as at its IssueInstant, twice (nothing recorded), where the ACS refuses it', async () => {
    const saved = toB64(await agedResponse('shib', '_long-gone', 3));
    await expect(w.providerWith({}).validatePostResponse(saved, { requestId: '_long-gone' })).rejects.toMatchObject({ reason: 'expired' });
    const preview = createSamlPreview(w.sp, settings());
    for (let i = 0; i < 2; i++) {
      const login = await preview.previewResponse(saved);
      expect({ ...login.claims }).toEqual(RULED_CLAIMS);
      expect([login.subject, login.dropped]).toEqual(['hk3p5q2zlz7jpzhcv5h3atbieq3euhht@univ.edu', [BROKEN]]);
    }
  });

  it('still checks the signature, the audience and the unsolicited gate', async () => {
    const preview = createSamlPreview(w.sp, settings());
    const forged = (await agedResponse('shib', '_r', 1, 'response', false)).replace('Alice Example', 'Mallory');
    await expect(preview.previewResponse(toB64(forged))).rejects.toMatchObject({ reason: 'signature_invalid' });
    const elsewhere = await w.idps.shib.response({ requestId: '_r', sign: 'response', assertion: { conditions: { notBefore: w.clock.now(), notOnOrAfter: new Date(w.clock.now().getTime() + 60_000), audiences: [['https://other-sp.example']] } } });
    await expect(preview.previewResponse(toB64(elsewhere))).rejects.toMatchObject({ reason: 'audience_mismatch' });
    await expect(preview.previewResponse(toB64(await agedResponse('shib', null, 1)))).rejects.toMatchObject({ reason: 'unsolicited' });
    expect((await preview.previewResponse(toB64(await agedResponse('ssp', null, 1, 'both')))).claims.student_id).toBe('s1000001');
  });
});
