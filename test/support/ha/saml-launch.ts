// Survey launches through the balancer without a browser: GET /launch/eval (a pending login and its binding
// cookie, written by whichever instance answers), a Response signed by a test IdP (test/support/saml) POSTed to
// the ACS (perhaps at the other instance), and the one-time launch code from the redirect to the survey.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { systemClock } from '../../../src/core/clock.js';
import { AUD } from '../../helpers/service.js';
import { aliceAttributes, TestIdp, toB64 } from '../saml/idp-signer.js';
import type { TestKeyPair } from '../saml/keys.js';
import { entityXml } from '../saml/metadata-fixtures.js';

const IDP = 'https://idp.univ.edu/idp/shibboleth';
export const SURVEY_URL = 'https://survey.example.edu/s';

/** Config entries for one IdP (signing with `key`) and one survey, `eval`; SP keys shared by the instances. */
export function launchConfig(key: TestKeyPair) {
  return (_issuer: string, dir: string) => {
    const metadata = join(dir, 'idp.xml');
    writeFileSync(metadata, entityXml({ entityId: IDP, signingCertPem: key.certPem, scopes: [{ value: 'univ.edu' }] }));
    return {
      saml: { keys_dir: join(dir, 'certs') },
      idps: [{ id: 'shib', metadata: { file: metadata }, signed: 'response', subject: { source: 'pairwise-id' } }],
      surveys: [{ id: 'eval', url: SURVEY_URL, audience: AUD.sis, scopes: ['student.read'], release: ['displayName'] }],
    };
  };
}

export function launchIdp(key: TestKeyPair, issuer: string): TestIdp {
  const sp = { entityId: `${issuer}/saml/metadata`, acsUrl: `${issuer}/saml/acs`, encryptionCertPem: key.certPem };
  return new TestIdp({ entityId: IDP, key, sp, clock: systemClock, attributes: aliceAttributes() });
}

/** A launch code, minted by the deployment behind `issuer`; throws when any step is refused. */
export async function mintLaunchCode(issuer: string, idp: TestIdp): Promise<string> {
  const start = await fetch(`${issuer}/launch/eval`, { redirect: 'manual' });
  if (start.status !== 303) throw new Error(`GET /launch/eval: ${start.status} ${await start.text()}`);
  const sso = new URL(start.headers.get('location')!);
  const authnRequest = inflateRawSync(Buffer.from(sso.searchParams.get('SAMLRequest')!, 'base64')).toString('utf8');
  const requestId = /\sID="([^"]+)"/.exec(authnRequest)![1]!;
  const cookie = start.headers.getSetCookie().map((line) => line.split(';')[0]).join('; ');
  const form = new URLSearchParams({ SAMLResponse: toB64(await idp.response({ requestId, sign: 'response' })) });
  const relay = sso.searchParams.get('RelayState');
  if (relay !== null) form.set('RelayState', relay);
  const acs = await fetch(`${issuer}/saml/acs`, { method: 'POST', body: form, headers: { cookie }, redirect: 'manual' });
  const to = acs.headers.get('location') ?? '';
  if (acs.status !== 303 || !to.startsWith(`${SURVEY_URL}?`)) throw new Error(`POST /saml/acs: ${acs.status} ${to}`);
  return new URL(to).searchParams.get('sts_code')!;
}

/** POST /launch/redeem: the survey trading its code for the released fields. */
export async function redeemLaunchCode(issuer: string, code: string): Promise<{ status: number; body: Record<string, string> }> {
  const res = await fetch(`${issuer}/launch/redeem`, { method: 'POST', body: new URLSearchParams({ code }) });
  return { status: res.status, body: (await res.json()) as Record<string, string> };
}
