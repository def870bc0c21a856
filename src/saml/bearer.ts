/**
 * RFC 7522 §3 (SAML 2.0 bearer assertion grant) and RFC 8693 `urn:ietf:params:oauth:token-type:saml2`
 * subject tokens: a bare, signed `<saml:Assertion>` with no Response around it. node-saml cannot verify
 * these (gap G13), so the signature is checked by `verify-signature.ts` (xml-crypto, pinned IdP certs,
 * allow-listed algorithms, node-saml's `getVerifiedXml` rules), then the SAME checks, attribute mapping
 * and replay store as the browser path run on the signed bytes.
 *
 * Differences from the ACS path, per RFC 7522 §3: the bearer SubjectConfirmationData Recipient must be
 * the token endpoint URL (`expected.recipient`); InResponseTo is not judged; an AuthnStatement is
 * optional; EncryptedAssertion is not accepted here.
 */
import { IDP_SIGNATURE_POLICY, assertEncryptionAlgorithms, assertSignatureAlgorithms } from './algorithms.js';
import { readAssertion } from './assertion-model.js';
import type { ResolvedIdp, ResolvedSp } from './config-check.js';
import type { DecodedMessage } from './decode.js';
import { SamlRefusal } from './errors.js';
import { prepareLogin, type PreparedLogin } from './login.js';
import { assertSignaturePlacement, assertSoleBareAssertion } from './structure.js';
import { verifyEnvelopedSignature } from './verify-signature.js';
import { parseXmlStrict } from './xml.js';

export async function validateBareAssertion(
  msg: DecodedMessage,
  doc: Document,
  sp: ResolvedSp,
  idp: ResolvedIdp,
  expected: { recipient: string },
  now: Date,
): Promise<PreparedLogin> {
  assertSoleBareAssertion(doc);
  assertSignaturePlacement(doc);
  assertSignatureAlgorithms(doc, IDP_SIGNATURE_POLICY);
  assertEncryptionAlgorithms(doc, false);

  // RFC 7522 §3 item 9: the Assertion MUST be signed by its issuer.
  const check = verifyEnvelopedSignature(msg.xml, doc, doc.documentElement, idp.certsPem, IDP_SIGNATURE_POLICY);
  if (check.status === 'absent') throw new SamlRefusal('signature_missing', 'bearer assertion is not signed');
  const signedDoc = parseXmlStrict(check.signedXml, 'signed assertion');

  return prepareLogin({
    assertion: readAssertion(signedDoc.documentElement),
    expectations: {
      idpEntityId: idp.entityId,
      audience: sp.entityId,
      recipient: expected.recipient,
      inResponseTo: { mode: 'ignore' },
      requireAuthnStatement: false,
      skewMs: idp.skewMs,
      maxAgeMs: idp.maxAgeMs,
      maxAuthnAgeMs: idp.maxAuthnAgeMs,
      now,
    },
    idp,
    spEntityId: sp.entityId,
  });
}
