import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { entityXml } from '../support/saml/metadata-fixtures.js';
import { testKeyPair } from '../support/saml/keys.js';
import { AUD, startTestService, type TestService } from './service.js';

export const SURVEY_ORIGIN = 'https://survey.example.edu';
// The SP and IdP key pairs are made once per test file (RSA generation is the slow part of a service start).
const spKeysDir = mkdtempSync(join(tmpdir(), 'campus-sts-survey-sp-'));
const idpKey = testKeyPair('survey-idp');

/**
 * A service with the SAML ACS and a survey (`/launch/redeem`) but no IdP process: the IdP is a metadata file.
 * Enough for every request that is refused before a signed assertion would matter.
 */
export async function startSurveyService(): Promise<TestService> {
  const key = await idpKey;
  return startTestService({
    overrides: (dir: string) => {
      const file = join(dir, 'idp.xml');
      writeFileSync(file, entityXml({ entityId: 'https://idp.example.edu/idp', signingCertPem: key.certPem, scopes: [{ value: 'example.edu' }] }));
      return {
        saml: { keys_dir: spKeysDir },
        idps: [{ id: 'campus', metadata: { file }, signed: 'both', subject: { source: 'eppn' } }],
        surveys: [{ id: 'course-eval', url: `${SURVEY_ORIGIN}/jfe/form/SV_eval`, audience: AUD.sis, scopes: ['student.read'], origins: [SURVEY_ORIGIN] }],
      };
    },
  });
}
