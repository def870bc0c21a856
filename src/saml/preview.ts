/**
 * `campus-sts claims preview`: one saved Response judged by the ACS's own pipeline (decoding, structure,
 * signatures against the pinned certificates, algorithms, Destination, Recipient, Audience, Issuer, Status,
 * scopes, subject, attribute map, claim rules), except for what a saved response cannot pass (`PREVIEW_SKIPS`).
 * Nothing is recorded. Its engines are built apart from the service's, so nothing the service runs is ever
 * judged this way.
 */
import { AT_ISSUE_INSTANT } from './checks.js';
import { resolveIdps, resolveSp } from './config-check.js';
import { createIdpEngine, type IdpEngine } from './engine.js';
import { judged, routeMessage } from './service-provider.js';
import type { IdpSettings, SpSettings } from './settings.js';
import type { SamlLogin } from './types.js';

/** What the preview does not check, as `claims preview` prints it. */
export const PREVIEW_SKIPS: readonly string[] = [
  'freshness: NotBefore, NotOnOrAfter and the IssueInstant and AuthnInstant ages are judged as at the assertion\'s own IssueInstant, not now',
  'the login binding: an InResponseTo is taken as a login pending in this browser (a response without one still needs allow_unsolicited)',
  'replay: the assertion ID is not recorded (a used or a later-replayed assertion previews the same); nothing is written and no token is minted',
];

export interface SamlPreview {
  /** The login the ACS would make of this Response (base64, as posted), or the `SamlRefusal` it would answer. */
  previewResponse(samlResponseB64: string): Promise<SamlLogin>;
}

export function createSamlPreview(sp: SpSettings, idps: IdpSettings[]): SamlPreview {
  const rsp = resolveSp(sp);
  const byEntityId = new Map<string, IdpEngine>(resolveIdps(idps).map((idp) => [idp.entityId, createIdpEngine(rsp, idp, { preview: true })]));
  return {
    async previewResponse(samlResponseB64) {
      const prepared = await judged(async () => {
        const { msg, doc, engine } = routeMessage(rsp, byEntityId, samlResponseB64, 'base64', 'Response');
        return engine.validateResponse(msg, doc, { resolveRequestId: (inResponseTo) => inResponseTo }, AT_ISSUE_INSTANT);
      });
      return prepared.login;
    },
  };
}
