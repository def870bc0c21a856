/**
 * `createSamlServiceProvider`: the SAML SP engine the routes and the token endpoint use. Settings are
 * validated once; one node-saml instance per IdP is built once; every message is decoded and guarded
 * (`decode.ts`), parsed once with the strict parser, routed by its UNVERIFIED Issuer only to pick the
 * IdP (certificates, policy), then validated by that IdP's engine and recorded in the replay store.
 *
 * Every refusal is a `SamlRefusal` with a closed `reason`. An unexpected error while judging an input
 * (a library crash on odd XML) is also turned into a refusal (`response_invalid`), so bad input never
 * becomes a 5xx; only the caller's own failures (replay store, `resolveRequestId`, bad arguments)
 * propagate as-is (fail closed, server error).
 */
import { validateBareAssertion } from './bearer.js';
import { assertServiceUrl, resolveIdps, resolveSp, type ResolvedSp } from './config-check.js';
import { NS } from './constants.js';
import { decodeSamlMessage, type DecodedMessage, type TransferEncoding } from './decode.js';
import { createIdpEngine, type IdpEngine } from './engine.js';
import { CallerFault, SamlRefusal } from './errors.js';
import { commitLogin, type PreparedLogin } from './login.js';
import type { IdpSettings, SpSettings } from './settings.js';
import { buildSpMetadata } from './sp-metadata.js';
import { routingIssuer } from './structure.js';
import type { ExpectedRequest, LoginRequest, SamlEngineDeps, SamlLogin, SamlServiceProvider } from './types.js';
import { isNamed, parseXmlStrict } from './xml.js';
import { bounded } from '../core/bounded.js';

/** Runs one judgement: a refusal stays one, the caller's faults propagate, anything else becomes `response_invalid`. */
export async function judged(run: () => Promise<PreparedLogin>): Promise<PreparedLogin> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof SamlRefusal) throw err;
    if (err instanceof CallerFault) throw err.inner;
    throw new SamlRefusal('response_invalid', err instanceof Error ? err.message : String(err), { cause: err });
  }
}

/** Decodes and parses a message, then picks its IdP's engine by the UNVERIFIED Issuer (routing only). */
export function routeMessage(
  rsp: ResolvedSp,
  byEntityId: ReadonlyMap<string, IdpEngine>,
  input: string,
  encoding: TransferEncoding,
  rootName: 'Response' | 'Assertion',
): { msg: DecodedMessage; doc: Document; engine: IdpEngine } {
  const msg = decodeSamlMessage(input, { encoding, maxBytes: rsp.maxResponseBytes });
  const doc = parseXmlStrict(msg.xml, rootName);
  const root = doc.documentElement;
  const ns = rootName === 'Response' ? NS.samlp : NS.saml;
  if (!isNamed(root, ns, rootName)) {
    // Name the namespace: a SAML 1.x or look-alike namespace is otherwise "expected Response, got Response".
    const got = bounded(`${root.namespaceURI ?? '(no namespace)'} ${root.localName}`, 300);
    throw new SamlRefusal('xml_malformed', `expected ${ns} ${rootName}, got ${got}`);
  }
  const issuer = routingIssuer(root);
  const engine = issuer === undefined ? undefined : byEntityId.get(issuer);
  if (!engine) throw new SamlRefusal('unknown_issuer', `Issuer ${JSON.stringify(issuer ?? null)} is not a configured IdP`);
  return { msg, doc, engine };
}

// long: closure scope: the per-IdP engines and SP metadata, built once, are shared by the returned methods.
export function createSamlServiceProvider(sp: SpSettings, idps: IdpSettings[], deps: SamlEngineDeps): SamlServiceProvider {
  const rsp = resolveSp(sp);
  const engines = new Map<string, IdpEngine>();
  const byEntityId = new Map<string, IdpEngine>();
  for (const idp of resolveIdps(idps)) {
    const engine = createIdpEngine(rsp, idp);
    engines.set(idp.id, engine);
    byEntityId.set(idp.entityId, engine);
  }
  const metadata = buildSpMetadata({
    entityId: rsp.entityId,
    acsUrl: rsp.acsUrl,
    signingCertPem: sp.keys.signingCertPem,
    encryptionCertPem: sp.keys.encryptionCertPem,
    advertiseCbc: idps.some((i) => i.allowCbcEncryption),
    ...(sp.metadata ? { options: sp.metadata } : {}),
  });

  const decodeAndRoute = (input: string, encoding: TransferEncoding, rootName: 'Response' | 'Assertion') => routeMessage(rsp, byEntityId, input, encoding, rootName);

  return {
    metadataXml: () => metadata,

    idpIds: () => [...engines.keys()],

    async createLoginRequest(idpId: string, relayState?: string): Promise<LoginRequest> {
      const engine = engines.get(idpId);
      if (!engine) throw new SamlRefusal('unknown_idp', `no IdP ${JSON.stringify(idpId)}`);
      return engine.createLoginRequest(relayState);
    },

    async validatePostResponse(samlResponseB64: string, expected: ExpectedRequest): Promise<SamlLogin> {
      const now = deps.clock.now();
      const prepared = await judged(async () => {
        const { msg, doc, engine } = decodeAndRoute(samlResponseB64, 'base64', 'Response');
        return engine.validateResponse(msg, doc, expected, now);
      });
      return commitLogin(prepared, deps.replay);
    },

    async validateBearerAssertion(assertionB64url: string, expected: { recipient: string }): Promise<SamlLogin> {
      assertServiceUrl(expected.recipient, 'expected.recipient'); // the token endpoint URL
      const now = deps.clock.now();
      const prepared = await judged(async () => {
        const { msg, doc, engine } = decodeAndRoute(assertionB64url, 'base64url', 'Assertion');
        return validateBareAssertion(msg, doc, rsp, engine.idp, expected, now);
      });
      return commitLogin(prepared, deps.replay);
    },
  };
}
