import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DemoIdpRequestError, readAuthnRequest } from './authn-request.js';

const sp = { entityId: 'http://127.0.0.1:8787/saml/metadata', acsUrl: 'http://127.0.0.1:8787/saml/acs' };
const ssoUrl = 'http://127.0.0.1:8787/demo-idp/sso';

function authnRequest(over: { id?: string; issuer?: string; acs?: string | null; destination?: string | null; binding?: string; prolog?: string; root?: string } = {}): string {
  const attrs = [
    `ID="${over.id ?? '_0123abcd'}"`,
    'Version="2.0"',
    'IssueInstant="2026-11-23T10:00:00Z"',
    over.destination === null ? '' : `Destination="${over.destination ?? ssoUrl}"`,
    over.acs === null ? '' : `AssertionConsumerServiceURL="${over.acs ?? sp.acsUrl}"`,
    `ProtocolBinding="${over.binding ?? 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST'}"`,
  ].join(' ');
  const root = over.root ?? 'samlp:AuthnRequest';
  return `${over.prolog ?? ''}<${root} xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ${attrs}><saml:Issuer>${over.issuer ?? sp.entityId}</saml:Issuer></${root}>`;
}
const encode = (xml: string) => deflateRawSync(Buffer.from(xml)).toString('base64');

describe('readAuthnRequest', () => {
  it('reads the ID and answers at the configured ACS', () => {
    expect(readAuthnRequest(encode(authnRequest()), sp, ssoUrl)).toEqual({ id: '_0123abcd', acsUrl: sp.acsUrl });
  });

  it('answers at the configured ACS when the request names none (and has no Destination)', () => {
    expect(readAuthnRequest(encode(authnRequest({ acs: null, destination: null })), sp, ssoUrl)).toEqual({ id: '_0123abcd', acsUrl: sp.acsUrl });
  });

  const refused: [string, string, string][] = [
    ['another SP', encode(authnRequest({ issuer: 'https://evil.example/sp' })), 'The sign-in request comes from a service this IdP does not know.'],
    ['another ACS', encode(authnRequest({ acs: 'https://evil.example/acs' })), 'The sign-in request asks for an answer at an address this IdP does not know.'],
    ['another IdP as Destination', encode(authnRequest({ destination: 'https://idp.example/sso' })), 'The sign-in request was meant for another IdP.'],
    ['an artifact binding', encode(authnRequest({ binding: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact' })), 'The sign-in request asks for a binding other than HTTP-POST.'],
    ['an ID that is not an NCName', encode(authnRequest({ id: '1&quot;x' })), 'The sign-in request has no usable ID.'],
    ['a DTD', encode(authnRequest({ prolog: '<!DOCTYPE x [<!ENTITY a "b">]>' })), 'The sign-in request contains a DTD.'],
    ['another message', encode(authnRequest({ root: 'samlp:LogoutRequest' })), 'The sign-in request is not a SAML AuthnRequest.'],
    ['broken XML', encode('<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"'), 'The sign-in request is not well-formed XML.'],
    ['not base64', '%%%', 'The sign-in request is not valid base64.'],
    ['not DEFLATE', Buffer.from(authnRequest()).toString('base64'), 'The sign-in request could not be inflated (HTTP-Redirect binding expects raw DEFLATE).'],
  ];
  for (const [name, input, message] of refused) {
    it(`refuses ${name}`, () => {
      expect(() => readAuthnRequest(input, sp, ssoUrl)).toThrow(new DemoIdpRequestError(message));
    });
  }
});
