// IdP metadata parsing, aggregate selection and signed-aggregate verification.
import { beforeAll, describe, expect, it } from 'vitest';
import { SamlMetadataError, type SamlMetadataErrorCode } from './errors.js';
import { parseIdpMetadata, verifyMetadataAggregate } from './metadata.js';
import { ALG } from '../../test/support/saml/idp-signer.js';
import { testKeyPair, type TestKeyPair } from '../../test/support/saml/keys.js';
import { aggregateXml, entityXml, signRoot, type EntityFixture } from '../../test/support/saml/metadata-fixtures.js';

const NOW = new Date('2030-01-01T00:00:00Z');
const LATER = new Date('2030-01-08T00:00:00Z');
const SHIB = 'https://idp.univ.edu/idp/shibboleth';
const OTHER = 'https://idp.other.edu/idp/shibboleth';
let idp: TestKeyPair, idp2: TestKeyPair, fed: TestKeyPair, attacker: TestKeyPair, weak: TestKeyPair;

beforeAll(async () => {
  [idp, idp2, fed, attacker, weak] = await Promise.all([
    testKeyPair('idp-shib'), testKeyPair('idp-other'), testKeyPair('federation'), testKeyPair('attacker'), testKeyPair('weak-idp', { bits: 1024 }),
  ]);
});

const shib = (over: Partial<EntityFixture> = {}): EntityFixture => ({ entityId: SHIB, signingCertPem: idp.certPem, scopes: [{ value: 'univ.edu' }], ...over });

function code(fn: () => unknown): SamlMetadataErrorCode | 'ok' {
  try {
    fn();
    return 'ok';
  } catch (err) {
    if (err instanceof SamlMetadataError) return err.code;
    throw err;
  }
}

describe('parseIdpMetadata', () => {
  it('reads entityID, SSO redirect URL, certificates by use, and scopes from both levels', () => {
    const md = parseIdpMetadata(
      entityXml(shib({ encryptionCertPem: idp2.certPem, unqualifiedCertPem: idp2.certPem, roleScopes: [{ value: '^.+\\.univ\\.edu$', regexp: true }], validUntil: LATER })),
    );
    expect(md).toEqual({
      entityId: SHIB,
      ssoRedirectUrl: 'https://idp.univ.edu/idp/profile/SAML2/Redirect/SSO',
      signingCertsPem: [expect.stringContaining('BEGIN CERTIFICATE'), expect.stringContaining('BEGIN CERTIFICATE')],
      encryptionCertsPem: [expect.stringContaining('BEGIN CERTIFICATE'), expect.stringContaining('BEGIN CERTIFICATE')],
      scopes: [{ value: 'univ.edu', regexp: false }, { value: '^.+\\.univ\\.edu$', regexp: true }],
      validUntil: LATER,
    });
    expect(md.signingCertsPem[0]?.replace(/\s/g, '')).toBe(idp.certPem.replace(/\s/g, ''));
    expect(md.signingCertsPem[1]?.replace(/\s/g, '')).toBe(idp2.certPem.replace(/\s/g, ''));
  });

  it('selects one entity from an (unsigned, trusted) aggregate, nested groups included', () => {
    const xml = aggregateXml([{ entityId: OTHER, signingCertPem: idp2.certPem }, shib()], { nested: true });
    expect(parseIdpMetadata(xml, { entityId: SHIB }).entityId).toBe(SHIB);
    expect(parseIdpMetadata(xml, { entityId: OTHER }).signingCertsPem).toHaveLength(1);
  });

  it.each<[string, () => string, { entityId?: string; now?: Date }, SamlMetadataErrorCode | 'ok']>([
    ['aggregate without entityId', () => aggregateXml([shib()]), {}, 'metadata_entity_not_found'],
    ['entity not in aggregate', () => aggregateXml([shib()]), { entityId: 'https://nope' }, 'metadata_entity_not_found'],
    ['entity listed twice', () => aggregateXml([shib(), shib()]), { entityId: SHIB }, 'metadata_malformed'],
    ['single entity, other entityID asked', () => entityXml(shib()), { entityId: OTHER }, 'metadata_entity_not_found'],
    ['SP, not an IdP', () => entityXml(shib()).replace(/IDPSSODescriptor/g, 'SPSSODescriptor'), {}, 'metadata_not_idp'],
    ['SAML 1.1 only', () => entityXml(shib({ protocols: 'urn:oasis:names:tc:SAML:1.1:protocol' })), {}, 'metadata_not_idp'],
    ['no signing key', () => entityXml(shib({ signingCertPem: idp.certPem })).replace(/<md:KeyDescriptor[\s\S]*?<\/md:KeyDescriptor>/g, ''), {}, 'metadata_no_signing_key'],
    ['only an encryption key', () => entityXml(shib()).replace('use="signing"', 'use="encryption"'), {}, 'metadata_no_signing_key'],
    ['RSA-1024 key', () => entityXml(shib({ signingCertPem: weak.certPem })), {}, 'metadata_weak_key'],
    ['garbage certificate', () => entityXml(shib()).replace(/<ds:X509Certificate>[\s\S]*?<\/ds:X509Certificate>/, '<ds:X509Certificate>AAAA</ds:X509Certificate>'), {}, 'metadata_malformed'],
    ['expired validUntil', () => entityXml(shib({ validUntil: new Date('2029-12-31T00:00:00Z') })), { now: NOW }, 'metadata_expired'],
    ['validUntil of the group is the tighter one', () => aggregateXml([shib({ validUntil: LATER })], { validUntil: new Date('2029-12-31T00:00:00Z') }), { entityId: SHIB, now: NOW }, 'metadata_expired'],
    ['validUntil not given a clock', () => entityXml(shib({ validUntil: new Date('2029-12-31T00:00:00Z') })), {}, 'ok'],
    ['DOCTYPE', () => `<!DOCTYPE x>${entityXml(shib())}`, {}, 'metadata_malformed'],
    ['not XML', () => '<md:EntityDescriptor', {}, 'metadata_malformed'],
    ['invalid regexp scope', () => entityXml(shib({ scopes: [{ value: '(', regexp: true }] })), {}, 'metadata_malformed'],
    ['no Redirect SSO (still usable for unsolicited)', () => entityXml(shib({ sso: false })), {}, 'ok'],
  ])('%s → %s', (_n, xml, opts, want) => {
    expect(code(() => parseIdpMetadata(xml(), opts))).toBe(want);
  });
});

describe('verifyMetadataAggregate (pinned federation key)', () => {
  const signed = () => signRoot(aggregateXml([shib(), { entityId: OTHER, signingCertPem: idp2.certPem }], { validUntil: LATER }), fed);

  it('returns the signed bytes; the entity is then read from them', () => {
    const { xml, validUntil } = verifyMetadataAggregate(signed(), fed.certPem, NOW);
    expect(validUntil).toEqual(LATER);
    expect(xml).not.toContain('ds:Signature');
    expect(parseIdpMetadata(xml, { entityId: SHIB, now: NOW }).entityId).toBe(SHIB);
  });

  it.each<[string, () => string, SamlMetadataErrorCode]>([
    ['unsigned', () => aggregateXml([shib()], { validUntil: LATER }), 'metadata_signature_missing'],
    ['signed by another key', () => signRoot(aggregateXml([shib()], { validUntil: LATER }), attacker), 'metadata_signature_invalid'],
    ['entity swapped after signing (attacker key for shib)', () => signed().replace(/(entityID="https:\/\/idp.univ.edu\/idp\/shibboleth"[\s\S]*?<ds:X509Certificate>)[^<]+/, `$1${attacker.certPem.replace(/-----[^-]+-----|\s/g, '')}`), 'metadata_signature_invalid'],
    ['entity injected after signing', () => signed().replace('</md:EntitiesDescriptor>', `${entityXml({ entityId: 'https://evil', signingCertPem: attacker.certPem }, false)}</md:EntitiesDescriptor>`), 'metadata_signature_invalid'],
    ['RSA-SHA1', () => signRoot(aggregateXml([shib()], { validUntil: LATER }), fed, { signature: ALG.rsaSha1, digest: ALG.sha1 }), 'metadata_algorithm_forbidden'],
    ['expired', () => signRoot(aggregateXml([shib()], { validUntil: new Date('2029-12-31T00:00:00Z') }), fed), 'metadata_expired'],
    ['no validUntil', () => signRoot(aggregateXml([shib()]), fed), 'metadata_validity_missing'],
    ['signature not on the root (inner entity signed only)', () => aggregateXml([]).replace('</md:EntitiesDescriptor>', `${signRoot(entityXml(shib()).replace('<md:EntityDescriptor', '<md:EntityDescriptor ID="_e1"'), fed)}</md:EntitiesDescriptor>`), 'metadata_signature_missing'],
  ])('%s → %s', (_n, xml, want) => {
    expect(code(() => verifyMetadataAggregate(xml(), fed.certPem, NOW))).toBe(want);
  });
});
