import { Hono, type Context } from 'hono';
import type { Clock } from '../../core/clock.js';
import { OAuthError } from '../../core/oauth-errors.js';
import type { AppEnv } from '../../http/env.js';
import { PAGE_CSP, renderNotice } from '../../http/pages.js';
import { readForm } from '../../http/read-form.js';
import { demoCsp, newNonce } from '../html.js';
import { DemoIdpRequestError, readAuthnRequest, type DemoSp } from './authn-request.js';
import type { DemoIdpKeys } from './keys.js';
import { renderAutoPost, renderPersonaChooser } from './pages.js';
import { findPersona, personaAttributes, PERSONAS } from './personas.js';
import { buildSignedResponse } from './response.js';

export const DEMO_IDP_PATHS = { metadata: '/demo-idp/metadata', sso: '/demo-idp/sso' } as const;

export interface DemoIdpSettings {
  entityId: string;
  /** Absolute SSO URL (the AuthnRequest's Destination). */
  ssoUrl: string;
  keys: DemoIdpKeys;
  sp: DemoSp;
  /** The metadata document the SP pins (served for people who want to look at it). */
  metadataXml: string;
}

// An AuthnRequest is a few hundred bytes deflated; the chooser form carries it back with a persona.
const MAX_FORM_BYTES = 32 * 1024;

function refusal(c: Context<AppEnv>, message: string): Response | Promise<Response> {
  c.header('Content-Security-Policy', PAGE_CSP);
  return c.html(
    renderNotice({ title: 'The demo IdP cannot answer this request', message, whatToDo: 'Start again from the survey link (/launch/…).', correlationId: c.get('requestId') }),
    400,
  );
}

/**
 * The demo's in-process SAML IdP (demo only): metadata, and an SSO endpoint that reads the SP's AuthnRequest,
 * lets the person pick a persona, and answers with a signed Response over the HTTP-POST binding.
 */
export function demoIdpRoutes(idp: DemoIdpSettings, deps: { clock: Clock }): Hono<AppEnv> {
  const acsOrigin = new URL(idp.sp.acsUrl).origin;
  return new Hono<AppEnv>()
    .get(DEMO_IDP_PATHS.metadata, (c) => c.body(idp.metadataXml, 200, { 'Content-Type': 'application/samlmetadata+xml' }))
    .get(DEMO_IDP_PATHS.sso, (c) => {
      c.header('Cache-Control', 'no-store');
      const samlRequest = c.req.query('SAMLRequest');
      if (!samlRequest) return refusal(c, 'No SAMLRequest came with this link.');
      try {
        readAuthnRequest(samlRequest, idp.sp, idp.ssoUrl);
      } catch (err) {
        if (err instanceof DemoIdpRequestError) return refusal(c, err.message);
        throw err;
      }
      c.header('Content-Security-Policy', PAGE_CSP);
      return c.html(renderPersonaChooser({ action: DEMO_IDP_PATHS.sso, samlRequest, relayState: c.req.query('RelayState'), personas: PERSONAS }));
    })
    .post(DEMO_IDP_PATHS.sso, async (c) => {
      c.header('Cache-Control', 'no-store');
      try {
        const form = await readForm(c, MAX_FORM_BYTES);
        const samlRequest = form.single('SAMLRequest');
        if (!samlRequest) return refusal(c, 'No SAMLRequest came with the form.');
        const request = readAuthnRequest(samlRequest, idp.sp, idp.ssoUrl);
        const persona = findPersona(form.single('persona'));
        if (!persona) return refusal(c, 'No such persona.');
        const xml = buildSignedResponse({
          idp: { entityId: idp.entityId, keyPem: idp.keys.keyPem, certPem: idp.keys.certPem },
          sp: idp.sp,
          inResponseTo: request.id,
          attributes: personaAttributes(persona),
          now: deps.clock.now(),
        });
        const nonce = newNonce();
        // form-action must also allow where the ACS redirects next (browsers check redirects of a form
        // submission): the demo survey lives on the same origin.
        c.header('Content-Security-Policy', demoCsp({ nonce, formAction: acsOrigin }));
        return c.html(
          renderAutoPost({ acsUrl: request.acsUrl, samlResponse: Buffer.from(xml, 'utf8').toString('base64'), relayState: form.single('RelayState'), nonce, persona }),
        );
      } catch (err) {
        if (err instanceof DemoIdpRequestError) return refusal(c, err.message);
        if (err instanceof OAuthError) return refusal(c, 'The form could not be read.');
        throw err;
      }
    });
}
