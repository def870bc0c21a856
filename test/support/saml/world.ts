// A complete SAML test world: SP keys, four test IdPs with their own keys and policies, and a
// service provider built over them with an injected clock (kept at the wall-clock second the world was
// created, because node-saml checks Conditions against the wall clock) and the real replay store on an
// in-memory SQLite database (same migrations as production).
import { fixedClock } from '../../../src/core/clock.js';
import { DEFAULT_ATTRIBUTE_MAP } from '../../../src/saml/attributes.js';
import { createSamlServiceProvider } from '../../../src/saml/service-provider.js';
import type { IdpSettings, ParsedIdpMetadata, SpSettings } from '../../../src/saml/settings.js';
import type { SamlServiceProvider } from '../../../src/saml/types.js';
import { TestIdp, aliceAttributes } from './idp-signer.js';
import { testKeyPair, type TestKeyPair } from './keys.js';
import { openDatabase, type AppDatabase } from '../../../src/db/client.js';
import { createGroupCommitter } from '../../../src/db/group-commit.js';
import { createAssertionReplayStore } from '../../../src/sso/assertion-replay.js';
import type { AssertionReplayStore } from '../../../src/saml/types.js';

export const SP_ENTITY_ID = 'https://sts.univ.edu/saml/metadata';
export const ACS_URL = 'https://sts.univ.edu/saml/acs';
export const TOKEN_ENDPOINT = 'https://sts.univ.edu/oauth/token';

export type IdpName = 'shib' | 'adfs' | 'ssp' | 'other';

/**
 * - shib:  Shibboleth-like. Signs the Response, encrypts with GCM; sub = pairwise-id.
 * - adfs:  ADFS/Entra-like. Signs the Assertion only; sub = persistent NameID.
 * - ssp:   SimpleSAMLphp-like. Signs both, may encrypt with AES-128-CBC, IdP-initiated allowed; sub = eppn.
 * - other: another university's Shibboleth (scope other.edu); sub = subject-id.
 */
export const IDP_ENTITY: Record<IdpName, string> = {
  shib: 'https://idp.univ.edu/idp/shibboleth',
  adfs: 'https://adfs.univ.edu/adfs/services/trust',
  ssp: 'https://ssp.univ.edu/saml2/idp/metadata.php',
  other: 'https://idp.other.edu/idp/shibboleth',
};

export interface SamlWorld {
  clock: ReturnType<typeof fixedClock>;
  replay: AssertionReplayStore;
  /** The database behind the replay store (table saml_assertions). */
  database: AppDatabase;
  spKeys: { signing: TestKeyPair; encryption: TestKeyPair };
  sp: SpSettings;
  keys: Record<IdpName | 'attacker', TestKeyPair>;
  idps: Record<IdpName, TestIdp>;
  settings: Record<IdpName, IdpSettings>;
  provider: SamlServiceProvider;
  /** A provider over the same IdPs with some settings changed. */
  providerWith(change: Partial<Record<IdpName, Partial<IdpSettings>>>): SamlServiceProvider;
}

export function metadataFor(name: IdpName, key: TestKeyPair, extraCerts: string[] = []): ParsedIdpMetadata {
  const scope = name === 'other' ? 'other.edu' : 'univ.edu';
  return {
    entityId: IDP_ENTITY[name],
    ssoRedirectUrl: `${IDP_ENTITY[name].replace(/\/[^/]*$/, '')}/SSO/Redirect`,
    signingCertsPem: [...extraCerts, key.certPem],
    encryptionCertsPem: [key.certPem],
    scopes: [{ value: scope, regexp: false }],
  };
}

export async function createSamlWorld(): Promise<SamlWorld> {
  const [spSigning, spEncryption, shib, adfs, ssp, other, attacker] = await Promise.all([
    testKeyPair('sp-signing'),
    testKeyPair('sp-encryption', { use: 'encryption' }),
    testKeyPair('idp-shib'),
    testKeyPair('idp-adfs'),
    testKeyPair('idp-ssp'),
    testKeyPair('idp-other'),
    testKeyPair('attacker'),
  ]);
  const clock = fixedClock(Math.floor(Date.now() / 1000) * 1000);
  const database = openDatabase({ path: ':memory:' });
  const replay = createAssertionReplayStore(database.db, createGroupCommitter(database.db));
  const keys = { shib, adfs, ssp, other, attacker };
  const sp: SpSettings = {
    entityId: SP_ENTITY_ID,
    acsUrl: ACS_URL,
    keys: {
      signingKeyPem: spSigning.keyPem,
      signingCertPem: spSigning.certPem,
      encryptionKeyPem: spEncryption.keyPem,
      encryptionCertPem: spEncryption.certPem,
    },
  };
  const base = (name: IdpName): Omit<IdpSettings, 'signed' | 'subjectSource'> => ({
    id: name,
    metadata: metadataFor(name, keys[name]),
    allowUnsolicited: false,
    allowCbcEncryption: false,
    clockSkewSeconds: 60,
    attributeMap: DEFAULT_ATTRIBUTE_MAP,
  });
  const settings: Record<IdpName, IdpSettings> = {
    shib: { ...base('shib'), signed: 'response', subjectSource: 'pairwise-id' },
    adfs: { ...base('adfs'), signed: 'assertion', subjectSource: 'persistent-nameid' },
    ssp: { ...base('ssp'), signed: 'both', subjectSource: 'eppn', allowCbcEncryption: true, allowUnsolicited: true },
    other: { ...base('other'), signed: 'response', subjectSource: 'subject-id' },
  };
  const spInfo = { entityId: SP_ENTITY_ID, acsUrl: ACS_URL, encryptionCertPem: spEncryption.certPem };
  const idps = Object.fromEntries(
    (Object.keys(IDP_ENTITY) as IdpName[]).map((name) => [
      name,
      new TestIdp({
        entityId: IDP_ENTITY[name],
        key: keys[name],
        sp: spInfo,
        clock,
        attributes: aliceAttributes(name === 'other' ? 'other.edu' : 'univ.edu'),
      }),
    ]),
  ) as Record<IdpName, TestIdp>;

  const providerWith = (change: Partial<Record<IdpName, Partial<IdpSettings>>>): SamlServiceProvider =>
    createSamlServiceProvider(
      sp,
      (Object.keys(settings) as IdpName[]).map((n) => ({ ...settings[n], ...change[n] })),
      { clock, replay },
    );

  return {
    clock,
    replay,
    database,
    spKeys: { signing: spSigning, encryption: spEncryption },
    sp,
    keys: { ...keys, attacker },
    idps,
    settings,
    provider: providerWith({}),
    providerWith,
  };
}
