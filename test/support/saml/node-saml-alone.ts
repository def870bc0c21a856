// node-saml 5.1.0 on its own, configured as our engine configures it (pinned certs, audience, per-IdP
// signature flags, decryption key, skew, InResponseTo validation off), WITHOUT our wrapper. The attack
// corpus runs it next to the engine to record which cases node-saml alone would accept (the gaps of
// saml-security.md §1 / §3.3).
import { SAML, ValidateInResponseTo } from '@node-saml/passport-saml';
import type { IdpSettings, SpSettings } from '../../../src/saml/settings.js';

export function nodeSamlAlone(sp: SpSettings, idp: IdpSettings): SAML {
  return new SAML({
    issuer: sp.entityId,
    audience: sp.entityId,
    callbackUrl: sp.acsUrl,
    idpCert: [...idp.metadata.signingCertsPem],
    wantAuthnResponseSigned: idp.signed !== 'assertion',
    wantAssertionsSigned: idp.signed !== 'response',
    decryptionPvk: sp.keys.encryptionKeyPem,
    acceptedClockSkewMs: idp.clockSkewSeconds * 1000,
    validateInResponseTo: ValidateInResponseTo.never,
  });
}

export async function nodeSamlAloneAccepts(sp: SpSettings, idp: IdpSettings, samlResponseB64: string): Promise<boolean> {
  try {
    const { profile } = await nodeSamlAlone(sp, idp).validatePostResponseAsync({ SAMLResponse: samlResponseB64 });
    return profile !== null;
  } catch {
    return false;
  }
}
