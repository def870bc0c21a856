/**
 * node-saml 5.1.0 throws untyped `Error("…")` (30 of them in saml.ts) and passes through errors of
 * xmldom, xml2js, xml-crypto and xml-encryption. This is the ONE place that reads their messages, to
 * turn them into `SamlRefusal` reasons; the original error is kept as `cause` and its message as `detail`.
 * Most inputs never get here: our own pre-checks refuse them first with a precise reason.
 */
import { SamlStatusError } from '@node-saml/passport-saml';
import { SamlRefusal, type SamlRefusalReason } from './errors.js';

/**
 * Whether the message being validated had a signature where node-saml looked for one. `assertion` of an
 * encrypted assertion is the inner signature, known only after decryption (see `engine.ts`).
 */
export interface SignaturePresence {
  response: boolean;
  assertion: boolean;
  encrypted: boolean;
}

/** node-saml's one message for an encrypted assertion whose inner signature is absent OR does not verify. */
export const ENCRYPTED_ASSERTION_SIGNATURE = /^Invalid signature from encrypted assertion/;

const TABLE: ReadonlyArray<readonly [RegExp, SamlRefusalReason | ((p: SignaturePresence) => SamlRefusalReason)]> = [
  [/^Invalid signature: multiple assertions/, 'multiple_assertions'],
  [/^Invalid document signature/, (p) => (p.response ? 'signature_invalid' : 'signature_missing')],
  [ENCRYPTED_ASSERTION_SIGNATURE, (p) => (p.assertion ? 'signature_invalid' : 'signature_missing')],
  [/^Invalid signature: NoPassive/, 'status_not_success'],
  [/^Invalid signature: No response found/, 'xml_malformed'],
  [/^Invalid signature$/, (p) => (p.assertion ? 'signature_invalid' : 'signature_missing')],
  [/^Too many signatures found|^Invalid signature|^ref URI included quote|^signature reference uri not found|^Only 1 signed references/, 'signature_invalid'],
  [/^Cannot validate a document which contains multiple elements with the same value/, 'signature_invalid'],
  [/^No decryption key|^Invalid EncryptedAssertion content/, 'decryption_failed'],
  [/^Cannot obtain assertion from signed data|^Missing SAML assertion/, 'assertion_missing'],
  [/^Unknown SAML response message/, 'xml_malformed'],
  [/^SAML assertion not yet valid/, 'not_yet_valid'],
  [/^SAML assertion expired/, 'expired'],
  [/^Error parsing (NotBefore|NotOnOrAfter|IssueInstant)/, 'timestamp_malformed'],
  [/AudienceRestriction|^SAML assertion audience mismatch/, 'audience_mismatch'],
  [/^Unable to process multiple conditions/, 'xml_malformed'],
  [/^\[xmldom |^Not a valid XML document|^Non-whitespace before first tag|^Unexpected close tag|^Unclosed root tag|^Invalid character/, 'xml_malformed'],
  // xml-encryption / OpenSSL during decryption (GCM tag, OAEP, CBC padding: its CBC branch calls an
  // undefined `callback`, so a bad pad surfaces as a ReferenceError).
  [/encryption algorithm|cant find encryption|unable to authenticate data|oaep|decrypt|padding|callback is not defined|bad decrypt/i, 'decryption_failed'],
];

/** Translates anything node-saml threw into a `SamlRefusal`. */
export function translateNodeSamlError(err: unknown, presence: SignaturePresence): SamlRefusal {
  if (err instanceof SamlRefusal) return err;
  if (err instanceof SamlStatusError) return new SamlRefusal('status_not_success', err.message, { cause: err });
  const message = err instanceof Error ? err.message : String(err);
  for (const [pattern, reason] of TABLE) {
    if (pattern.test(message)) {
      return new SamlRefusal(typeof reason === 'function' ? reason(presence) : reason, message, { cause: err });
    }
  }
  const code = (err as { code?: unknown } | null)?.code;
  if (presence.encrypted && typeof code === 'string' && code.startsWith('ERR_OSSL')) {
    return new SamlRefusal('decryption_failed', message, { cause: err });
  }
  return new SamlRefusal('response_invalid', message, { cause: err });
}
