// Raw node-saml: `validatePostResponseAsync` configured as our engine configures it (the same helper the
// attack corpus uses, test/support/saml/node-saml-alone.ts), behind the same Hono stack and form parsing,
// answering 303 like the ACS. No InResponseTo or replay store, no policy, no token, no database: the cost of
// the XML signature check alone, which launch/raw compares against.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Hono } from 'hono';
import { DEFAULT_ATTRIBUTE_MAP } from '../../src/saml/attributes.js';
import type { IdpSettings, SpSettings } from '../../src/saml/settings.js';
import { SP_KEY_FILES } from '../../src/saml/sp-keys.js';
import { nodeSamlAlone } from '../../test/support/saml/node-saml-alone.js';
import type { BenchServer } from '../harness/protocol.js';
import { listenHono } from './hono.js';
import { SAML } from './shared.js';

export interface SamlRawOptions {
  spKeysDir: string;
  idpCertPem: string;
}

export async function startSamlRaw(o: SamlRawOptions): Promise<BenchServer> {
  const pem = (file: string) => readFileSync(join(o.spKeysDir, file), 'utf8');
  const sp: SpSettings = {
    entityId: SAML.spEntityId,
    acsUrl: SAML.acsUrl,
    keys: {
      signingKeyPem: pem(SP_KEY_FILES.signingKey),
      signingCertPem: pem(SP_KEY_FILES.signingCert),
      encryptionKeyPem: pem(SP_KEY_FILES.encryptionKey),
      encryptionCertPem: pem(SP_KEY_FILES.encryptionCert),
    },
  };
  const idp: IdpSettings = {
    id: SAML.idpId,
    metadata: { entityId: SAML.idpEntityId, signingCertsPem: [o.idpCertPem], encryptionCertsPem: [], scopes: [{ value: SAML.scope, regexp: false }] },
    signed: 'response',
    subjectSource: 'pairwise-id',
    allowUnsolicited: false,
    allowCbcEncryption: false,
    clockSkewSeconds: 60,
    attributeMap: DEFAULT_ATTRIBUTE_MAP,
  };
  const saml = nodeSamlAlone(sp, idp);
  const app = new Hono().post('/saml/acs', async (c) => {
    const form = await c.req.parseBody();
    try {
      const { profile } = await saml.validatePostResponseAsync({ SAMLResponse: String(form.SAMLResponse ?? '') });
      if (!profile) return c.text('no profile', 400);
    } catch {
      return c.text('refused', 400);
    }
    return c.redirect(SAML.surveyUrl, 303);
  });
  const { port, close } = await listenHono(app);
  return { port, info: {}, close };
}
