// The SAML side of a run: a Shibboleth-like test IdP (RSA-2048, signs the Response, attributes of one student
// at a time), its metadata file for campus-sts, and the SP key folder every campus-sts child shares.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { systemClock } from '../../src/core/clock.js';
import { ensureSpKeys, SP_KEY_FILES } from '../../src/saml/sp-keys.js';
import { TestIdp } from '../../test/support/saml/idp-signer.js';
import { testKeyPair, type TestKeyPair } from '../../test/support/saml/keys.js';
import { entityXml } from '../../test/support/saml/metadata-fixtures.js';
import { SAML } from '../servers/shared.js';
import { createResponseFactory, studentAttributes, type ResponseFactory } from './response-factory.js';

export interface SamlWorld {
  idpKey: TestKeyPair;
  idpMetadataFile: string;
  spKeysDir: string;
  /** A factory over a freshly signed template: its timestamps are "now" (node-saml checks the wall clock). */
  freshFactory(): Promise<ResponseFactory>;
}

export async function createSamlWorld(runDir: string): Promise<SamlWorld> {
  const idpKey = await testKeyPair('bench-idp');
  const spKeysDir = await seedSpKeys(join(runDir, 'sp-keys'));
  const idpMetadataFile = join(runDir, 'idp-metadata.xml');
  writeFileSync(idpMetadataFile, entityXml({ entityId: SAML.idpEntityId, signingCertPem: idpKey.certPem, scopes: [{ value: SAML.scope }] }));
  const idp = new TestIdp({
    entityId: SAML.idpEntityId,
    key: idpKey,
    sp: { entityId: SAML.spEntityId, acsUrl: SAML.acsUrl, encryptionCertPem: idpKey.certPem },
    clock: systemClock,
    attributes: studentAttributes(SAML.scope),
  });
  return {
    idpKey,
    idpMetadataFile,
    spKeysDir,
    freshFactory: () => createResponseFactory(idp, idpKey.keyPem, idpKey.certPem),
  };
}

/**
 * The SP key folder every campus-sts child and the raw node-saml child share. The pairs come from the test
 * key cache (RSA-2048, like the ones campus-sts generates) so a run does not wait for key generation; campus-sts's
 * own `ensureSpKeys` then checks them as it checks any operator-supplied pair.
 */
async function seedSpKeys(dir: string): Promise<string> {
  const [signing, encryption] = await Promise.all([testKeyPair('bench-sp-signing'), testKeyPair('bench-sp-encryption', { use: 'encryption' })]);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(join(dir, SP_KEY_FILES.signingKey), signing.keyPem, { mode: 0o600 });
  writeFileSync(join(dir, SP_KEY_FILES.signingCert), signing.certPem);
  writeFileSync(join(dir, SP_KEY_FILES.encryptionKey), encryption.keyPem, { mode: 0o600 });
  writeFileSync(join(dir, SP_KEY_FILES.encryptionCert), encryption.certPem);
  await ensureSpKeys(dir);
  return dir;
}
