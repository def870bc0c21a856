import { html } from 'hono/html';
import { renderDemoPage } from '../html.js';
import { displayNameOf, type Persona } from './personas.js';

const STYLE = `
  body { font: 16px/1.5 system-ui, sans-serif; color: #1b1f24; background: #eef1f5; margin: 0; }
  header { background: #0b3d62; color: #fff; padding: .9rem 2rem; font-weight: 600; letter-spacing: .02em; }
  header small { font-weight: 400; opacity: .8; margin-left: .5rem; }
  main { max-width: 34rem; margin: 2.5rem auto; background: #fff; border: 1px solid #cfd6de; border-radius: 8px; padding: 1.75rem 2rem; }
  h1 { font-size: 1.3rem; margin: 0 0 .25rem; }
  .hint { color: #57606a; margin-top: 0; }
  .persona { display: block; width: 100%; text-align: left; margin: .75rem 0; padding: .8rem 1rem; background: #f6f8fa;
    border: 1px solid #cfd6de; border-radius: 6px; font: inherit; cursor: pointer; }
  .persona:hover, .persona:focus { border-color: #0b3d62; background: #eaf2fb; }
  .persona strong { display: block; }
  .persona span { color: #57606a; font-size: .9rem; }
  .note { font-size: .85rem; color: #57606a; border-top: 1px solid #e1e4e8; padding-top: .75rem; margin-top: 1.25rem; }
`;

const header = html`<header>Demo University <small>identity provider · campus-sts demo</small></header>`;

/** The "login" page: pick a persona. The AuthnRequest travels along in hidden fields (the IdP keeps no state). */
export function renderPersonaChooser(p: { action: string; samlRequest: string; relayState: string | undefined; personas: readonly Persona[] }) {
  const buttons = p.personas.map(
    (persona) => html`<button class="persona" type="submit" name="persona" value="${persona.id}">
<strong>${displayNameOf(persona)}</strong><span>${persona.role} · affiliation: ${persona.affiliations.join(', ')}</span></button>`,
  );
  return renderDemoPage({
    title: 'Sign in · Demo University',
    style: STYLE,
    body: html`${header}<main role="main">
<h1>Sign in</h1>
<p class="hint">This is the demo IdP: no passwords. Choose who you want to be.</p>
<form method="post" action="${p.action}">
<input type="hidden" name="SAMLRequest" value="${p.samlRequest}">
${p.relayState === undefined ? '' : html`<input type="hidden" name="RelayState" value="${p.relayState}">`}
${buttons}
</form>
<p class="note">A real campus IdP asks for a password (and often a second factor) here, then sends the same kind of signed SAML answer.</p>
</main>`,
  });
}

/**
 * SAML bindings §3.5: the HTTP-POST binding, an auto-submitting form to the ACS. The one-line script runs under
 * the page's CSP nonce; without JavaScript the button does the same.
 */
export function renderAutoPost(p: { acsUrl: string; samlResponse: string; relayState: string | undefined; nonce: string; persona: Persona }) {
  return renderDemoPage({
    title: 'Signing you in… · Demo University',
    style: STYLE,
    body: html`${header}<main role="main">
<h1>Signing you in as ${displayNameOf(p.persona)}…</h1>
<form id="saml-post" method="post" action="${p.acsUrl}">
<input type="hidden" name="SAMLResponse" value="${p.samlResponse}">
${p.relayState === undefined ? '' : html`<input type="hidden" name="RelayState" value="${p.relayState}">`}
<noscript><button class="persona" type="submit">Continue</button></noscript>
</form>
</main>`,
    script: { nonce: p.nonce, code: "document.getElementById('saml-post').submit();" },
  });
}
