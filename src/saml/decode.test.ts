import { describe, expect, it } from 'vitest';
import { decodeSamlMessage, guardXmlText } from './decode.js';
import { SamlRefusal, type SamlRefusalReason } from './errors.js';

const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');
const opts = { encoding: 'base64', maxBytes: 4096 } as const;

function reasonOf(fn: () => unknown): SamlRefusalReason | 'ok' {
  try {
    fn();
    return 'ok';
  } catch (err) {
    if (err instanceof SamlRefusal) return err.reason;
    throw err;
  }
}

describe('decodeSamlMessage', () => {
  it.each([
    ['canonical base64', b64('<r/>'), 'ok'],
    ['CRLF line wrapping', b64('<r>' + 'a'.repeat(100) + '</r>').replace(/(.{76})/g, '$1\r\n'), 'ok'],
    ['empty', '', 'malformed_base64'],
    ['space inside', b64('<r/>').replace(/^(..)/, '$1 '), 'malformed_base64'],
    ['url-safe alphabet', '-_-_', 'malformed_base64'],
    ['missing padding', b64('<r/>x').replace(/=+$/, ''), 'malformed_base64'],
    ['extra padding', `${b64('<r/>')}==`, 'malformed_base64'],
    ['padding in the middle', 'QQ==QQ==', 'malformed_base64'],
    ['non-zero padding bits', 'QR==', 'malformed_base64'],
    ['too large (decoded)', b64(`<r>${'a'.repeat(5000)}</r>`), 'too_large'],
    ['too large (encoded length)', 'A'.repeat(100_000), 'too_large'],
    ['invalid UTF-8', b64(Buffer.from([0x3c, 0x72, 0xc3, 0x28, 0x2f, 0x3e])), 'not_utf8'],
    ['UTF-16 declaration', b64('<?xml version="1.0" encoding="UTF-16"?><r/>'), 'not_utf8'],
    ['utf-8 declaration, lower case', b64("<?xml version='1.0' encoding='utf-8'?><r/>"), 'ok'],
    ['DOCTYPE', b64('<!DOCTYPE r><r/>'), 'doctype_forbidden'],
    ['lower-case doctype', b64('<!doctype r><r/>'), 'doctype_forbidden'],
    ['ENTITY inside the root', b64('<r><!ENTITY x "y"></r>'), 'doctype_forbidden'],
    ['comment and CDATA are fine', b64('<r><!-- c --><![CDATA[x]]></r>'), 'ok'],
    ['processing instruction', b64('<r><?php x ?></r>'), 'xml_malformed'],
    ['second XML declaration', b64('<?xml version="1.0"?><?xml version="1.0"?><r/>'), 'xml_malformed'],
    ['NUL character', b64('<r>\u0000</r>'), 'xml_malformed'],
    ['byte-order mark', b64('\ufeff<r/>'), 'xml_malformed'],
  ])('%s → %s', (_n, input, reason) => {
    expect(reasonOf(() => decodeSamlMessage(input, opts))).toBe(reason);
  });

  it('hands node-saml the very bytes that were checked', () => {
    const xml = '<r>é</r>';
    const wrapped = `${b64(xml)}`;
    expect(decodeSamlMessage(wrapped, opts)).toEqual({ xml, base64: b64(xml), byteLength: Buffer.byteLength(xml) });
  });

  it.each([
    ['unpadded', Buffer.from('<r/>ab').toString('base64url'), 'ok'],
    ['padded', Buffer.from('<r/>a').toString('base64url') + '=', 'ok'],
    ['wrongly padded', Buffer.from('<r/>a').toString('base64url') + '==', 'malformed_base64'],
    ['standard alphabet', '+/+/', 'malformed_base64'],
    ['line wrapped', `${Buffer.from('<r>' + 'a'.repeat(80) + '</r>').toString('base64url').slice(0, 40)}\n`, 'malformed_base64'],
    ['impossible length', 'AAAAA', 'malformed_base64'],
    ['non-zero padding bits', 'QR', 'malformed_base64'],
  ])('base64url (RFC 7522 §2.1): %s → %s', (_n, input, reason) => {
    expect(reasonOf(() => decodeSamlMessage(input, { encoding: 'base64url', maxBytes: 4096 }))).toBe(reason);
  });

  it('guardXmlText is usable on its own (decrypted plaintext)', () => {
    expect(reasonOf(() => guardXmlText('<a/>'))).toBe('ok');
    expect(reasonOf(() => guardXmlText('<!DOCTYPE a><a/>'))).toBe('doctype_forbidden');
  });
});
