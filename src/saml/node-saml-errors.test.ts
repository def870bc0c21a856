// The one place node-saml's message strings are read: every known message maps to a reason.
import { SamlStatusError } from '@node-saml/passport-saml';
import { describe, expect, it } from 'vitest';
import { SamlRefusal } from './errors.js';
import { translateNodeSamlError, type SignaturePresence } from './node-saml-errors.js';

const signed: SignaturePresence = { response: true, assertion: true, encrypted: false };
const unsigned: SignaturePresence = { response: false, assertion: false, encrypted: false };
const encrypted: SignaturePresence = { response: true, assertion: false, encrypted: true };

describe('translateNodeSamlError', () => {
  it.each<[string, SignaturePresence, string]>([
    ['Invalid signature: multiple assertions', signed, 'multiple_assertions'],
    ['Invalid document signature', signed, 'signature_invalid'],
    ['Invalid document signature', unsigned, 'signature_missing'],
    ['Invalid signature', signed, 'signature_invalid'],
    ['Invalid signature', unsigned, 'signature_missing'],
    ['Invalid signature from encrypted assertion', { ...encrypted, assertion: true }, 'signature_invalid'],
    ['Invalid signature from encrypted assertion', encrypted, 'signature_missing'],
    ['Too many signatures found for this element', signed, 'signature_invalid'],
    ['Invalid signature: Referenced node does not refer to it\'s parent element', signed, 'signature_invalid'],
    ['Invalid signature: ID cannot refer to more than one element', signed, 'signature_invalid'],
    ['signature reference uri not found', signed, 'signature_invalid'],
    ['ref URI included quote character \' or ". Not a valid ID, and not allowed', signed, 'signature_invalid'],
    ['Invalid signature, too many transforms', signed, 'signature_invalid'],
    ['Invalid EncryptedAssertion content', encrypted, 'decryption_failed'],
    ['Unsupported state or unable to authenticate data', encrypted, 'decryption_failed'],
    ['error:02000079:rsa routines::oaep decoding error', encrypted, 'decryption_failed'],
    ['callback is not defined', encrypted, 'decryption_failed'],
    ['encryption algorithm http://www.w3.org/2001/04/xmlenc#kw-aes128 not supported', encrypted, 'decryption_failed'],
    ['Missing SAML assertion', signed, 'assertion_missing'],
    ['Cannot obtain assertion from signed data', signed, 'assertion_missing'],
    ['SAML assertion not yet valid', signed, 'not_yet_valid'],
    ['SAML assertion expired: clocks skewed too much', signed, 'expired'],
    ["Error parsing NotOnOrAfter: 'undefined' is not a valid date", signed, 'timestamp_malformed'],
    ['SAML assertion has no AudienceRestriction', signed, 'audience_mismatch'],
    ["Cannot read properties of null (reading 'AudienceRestriction')", signed, 'audience_mismatch'],
    ['SAML assertion audience mismatch. Expected: a Received: b', signed, 'audience_mismatch'],
    ['Unable to process multiple conditions in SAML assertion', signed, 'xml_malformed'],
    ['[xmldom error]\tinvalid doc source', signed, 'xml_malformed'],
    ['Unknown SAML response message', signed, 'xml_malformed'],
    ['Invalid signature: NoPassive', signed, 'status_not_success'],
    ['something nobody expected', signed, 'response_invalid'],
  ])('%s → %s', (message, presence, reason) => {
    const cause = new Error(message);
    const r = translateNodeSamlError(cause, presence);
    expect(r).toBeInstanceOf(SamlRefusal);
    expect([r.reason, r.detail, r.cause]).toEqual([reason, message, cause]);
  });

  it('SamlStatusError → status_not_success; refusals pass through unchanged', () => {
    expect(translateNodeSamlError(new SamlStatusError('SAML provider returned Responder error: x', '<Status/>'), signed).reason).toBe('status_not_success');
    const r = new SamlRefusal('replayed');
    expect(translateNodeSamlError(r, signed)).toBe(r);
  });

  it('OpenSSL error codes during decryption', () => {
    const e = Object.assign(new Error('weird'), { code: 'ERR_OSSL_EVP_BAD_DECRYPT' });
    expect(translateNodeSamlError(e, encrypted).reason).toBe('decryption_failed');
    expect(translateNodeSamlError(e, signed).reason).toBe('response_invalid');
  });
});
