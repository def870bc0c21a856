/**
 * One engine per IdP: a node-saml `SAML` instance built ONCE with strict options, wrapped by the
 * pipeline of saml-security.md §3.4. What node-saml does and what we add:
 *
 *   1. (service-provider.ts) strict base64, size cap, UTF-8, no DTD/PI → parse → route by the unverified Issuer
 *   2. unsolicited gate; structure (one assertion, signature placement); Status/Destination/InResponseTo on
 *      the raw root (refusal-only); algorithm allow-lists; required signatures present
 *   3. node-saml `validatePostResponseAsync`: pinned-cert signature checks, decryption, Conditions times
 *      (wall clock!), Audience
 *   4. everything else on SIGNED bytes: the Response envelope and the assertion from the bytes node-saml's
 *      signature check verified (handed to its protected `getSignedAssertion` hook, parsed once there by
 *      `SamlKeepingSignedBytes`), `profile.getAssertionXml()` for a decrypted one (never
 *      `getSamlResponseXml()`), inner-signature algorithms of a decrypted assertion, profile checks with the
 *      injected clock (`checks.ts`), attribute mapping, replay store.
 *
 * Clocks: node-saml reads `new Date()` for Conditions NotBefore/NotOnOrAfter (its SCD checks are off with
 * `validateInResponseTo: never`). Ours use the injected clock (`deps.clock.now()`, read once per message)
 * and cover Conditions, SCD, IssueInstant, AuthnInstant and SessionNotOnOrAfter. A message is accepted
 * only if BOTH agree; in production both are the system clock. Our checks are the authoritative ones (they are complete and typed); node-saml's
 * wall-clock check can only add a refusal (reason `expired` / `not_yet_valid` as well). Tests keep the
 * injected clock near the wall clock and move it to exercise time failures.
 */
import { inflateRawSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { SAML, ValidateInResponseTo, type CacheProvider, type Profile } from '@node-saml/passport-saml';
import xmlenc from 'xml-encryption';
import { IDP_SIGNATURE_POLICY, assertEncryptionAlgorithms, assertSignatureAlgorithms } from './algorithms.js';
import { readAssertion } from './assertion-model.js';
import { checkAssertion, checkResponseEnvelope, type AssertionExpectations, type InResponseToRule, type ResponseEnvelope } from './checks.js';
import type { ResolvedIdp, ResolvedSp } from './config-check.js';
import { NS } from './constants.js';
import { guardXmlText, type DecodedMessage } from './decode.js';
import { CallerFault, SamlConfigError, SamlRefusal } from './errors.js';
import { prepareLogin, type PreparedLogin } from './login.js';
import { ENCRYPTED_ASSERTION_SIGNATURE, translateNodeSamlError } from './node-saml-errors.js';
import { assertSignaturePlacement, assertSoleBareAssertion, soleResponseAssertion, statusCodeOf } from './structure.js';
import type { ExpectedRequest, LoginRequest } from './types.js';
import { signatureOf } from './verify-signature.js';
import { attr, childElements, isNamed, parseXmlStrict } from './xml.js';

/** SAML bindings §3.4.3: RelayState MUST NOT exceed 80 bytes. */
const MAX_RELAY_STATE_BYTES = 80;

/** node-saml must never consult its own per-process request cache: we bind InResponseTo ourselves. */
const refusingCacheProvider: CacheProvider = {
  saveAsync: () => Promise.reject(new Error('node-saml request cache is disabled')),
  getAsync: () => Promise.reject(new Error('node-saml request cache is disabled')),
  removeAsync: () => Promise.reject(new Error('node-saml request cache is disabled')),
};

/**
 * node-saml's `SAML`, keeping the canonical bytes its signature check verified (handed to its protected
 * `getSignedAssertion` hook: the Response's when the Response verified, else the assertion's), parsed ONCE,
 * strictly. Its assertion comes from that parse, read as node-saml's own hook reads it (a Response's one child
 * named Assertion, or an Assertion root); anything else (encrypted, none, several) goes to node-saml's hook.
 * Each validation runs on its own view of the engine (`Object.create`; node-saml keeps its state in ordinary
 * properties, which a view inherits), so concurrent validations never see each other's bytes.
 */
class SamlKeepingSignedBytes extends SAML {
  signedRoot: Element | undefined;
  /** The assertion handed to node-saml from those bytes: the one the profile, and every later check, reads. */
  signedAssertion: Element | undefined;

  protected override getSignedAssertion(signedXml: string): Promise<string | null> {
    guardXmlText(signedXml);
    const root = parseXmlStrict(signedXml, 'signed bytes').documentElement;
    this.signedRoot = root;
    const assertions = isNamed(root, NS.saml, 'Assertion') ? [root] : isNamed(root, NS.samlp, 'Response') ? childElements(root, NS.saml, 'Assertion') : [];
    if (assertions.length !== 1) return super.getSignedAssertion(signedXml);
    this.signedAssertion = assertions[0]!;
    return Promise.resolve(this.signedAssertion.toString());
  }
}

export interface IdpEngine {
  readonly idp: ResolvedIdp;
  createLoginRequest(relayState?: string): Promise<LoginRequest>;
  validateResponse(msg: DecodedMessage, doc: Document, expected: ExpectedRequest, now: AssertionExpectations['now']): Promise<PreparedLogin>;
}

/** `preview`: `claims preview` of a saved response, judged as at its IssueInstant (node-saml's wall clock off). */
function buildNodeSaml(sp: ResolvedSp, idp: ResolvedIdp, preview: boolean): SamlKeepingSignedBytes {
  const signed = idp.settings.signed;
  const entryPoint = idp.settings.metadata.ssoRedirectUrl;
  return new SamlKeepingSignedBytes({
    issuer: sp.entityId,
    audience: sp.entityId, // explicit: never the issuer fallback, never false
    callbackUrl: sp.acsUrl,
    ...(entryPoint ? { entryPoint } : {}),
    idpCert: [...idp.certsPem], // the ONLY trust anchor; KeyInfo is never used
    wantAuthnResponseSigned: signed !== 'assertion',
    wantAssertionsSigned: signed !== 'response',
    signatureAlgorithm: 'sha256', // outbound AuthnRequest signing
    digestAlgorithm: 'sha256', // short name: node-saml maps anything unknown to SHA-1
    privateKey: sp.settings.keys.signingKeyPem,
    publicCert: sp.settings.keys.signingCertPem,
    decryptionPvk: sp.settings.keys.encryptionKeyPem,
    identifierFormat: null, // no NameIDPolicy Format: Shibboleth answers InvalidNameIDPolicy otherwise
    disableRequestedAuthnContext: true,
    acceptedClockSkewMs: preview ? -1 : idp.skewMs, // 0..300 000, validated; -1 ("off") only for a preview
    maxAssertionAgeMs: 0,
    validateInResponseTo: ValidateInResponseTo.never, // checked by us against the browser-bound request ID
    cacheProvider: refusingCacheProvider,
    authnRequestBinding: 'HTTP-Redirect',
    generateUniqueId: () => `_${randomBytes(20).toString('hex')}`,
  });
}

function readEnvelope(root: Element, signed: boolean): ResponseEnvelope {
  const env: ResponseEnvelope = { signed };
  const version = attr(root, 'Version');
  const destination = attr(root, 'Destination');
  const inResponseTo = attr(root, 'InResponseTo');
  const status = statusCodeOf(root);
  if (version !== undefined) env.version = version;
  if (destination !== undefined) env.destination = destination;
  if (inResponseTo !== undefined) env.inResponseTo = inResponseTo;
  if (status !== undefined) env.statusCode = status;
  const issuer = childElements(root, NS.saml, 'Issuer')[0];
  if (issuer) {
    env.issuer = (issuer.textContent ?? '').trim();
    const format = attr(issuer, 'Format');
    if (format) env.issuerFormat = format;
  }
  return env;
}

/** The unverified InResponseTo a resolver is asked about: the Response's, else a plain assertion's SCD's. */
function unverifiedInResponseTo(root: Element): string | null {
  const onResponse = attr(root, 'InResponseTo');
  if (onResponse !== undefined) return onResponse;
  for (const assertion of childElements(root, NS.saml, 'Assertion')) {
    for (const subject of childElements(assertion, NS.saml, 'Subject')) {
      for (const sc of childElements(subject, NS.saml, 'SubjectConfirmation')) {
        for (const data of childElements(sc, NS.saml, 'SubjectConfirmationData')) {
          const v = attr(data, 'InResponseTo');
          if (v !== undefined) return v;
        }
      }
    }
  }
  return null;
}

/** The pending request this message must answer, from either form of `ExpectedRequest`. */
async function pendingRequestId(expected: ExpectedRequest, root: Element): Promise<string | null> {
  if ('requestId' in expected) return expected.requestId;
  const seen = unverifiedInResponseTo(root);
  let resolved: string | null;
  try {
    resolved = await expected.resolveRequestId(seen);
  } catch (err) {
    throw new CallerFault(err); // e.g. the pending-login store failed: a server error, not a refusal
  }
  if (seen !== null && resolved === null) {
    throw new SamlRefusal('in_response_to_mismatch', 'InResponseTo is not a pending login of this browser');
  }
  return resolved;
}

function decryptForInspection(encryptedAssertionXml: string, keyPem: string): Promise<string> {
  return new Promise((resolve, reject) => {
    xmlenc.decrypt(encryptedAssertionXml, { key: keyPem, disallowDecryptionWithInsecureAlgorithm: true }, (err, out) => {
      if (err) reject(new SamlRefusal('decryption_failed', err.message, { cause: err }));
      else resolve(out);
    });
  });
}

/** The assertion inside an EncryptedAssertion, decrypted (no insecure algorithms), guarded and parsed. */
async function decryptedAssertionDocument(encrypted: Element, keyPem: string): Promise<Document> {
  const plain = await decryptForInspection(encrypted.toString(), keyPem);
  guardXmlText(plain);
  return parseXmlStrict(plain, 'decrypted assertion');
}

function noSingleAssertion(): never {
  throw new SamlRefusal('assertion_missing', 'the signed Response carries no single assertion');
}

function parseSignedAssertion(profile: Profile): Element {
  const assertionXml = profile.getAssertionXml?.();
  if (!assertionXml) throw new SamlRefusal('assertion_missing', 'node-saml returned no signed assertion');
  guardXmlText(assertionXml);
  return parseXmlStrict(assertionXml, 'signed assertion').documentElement;
}

function extractRequestId(redirectUrl: string): string {
  const samlRequest = new URL(redirectUrl).searchParams.get('SAMLRequest');
  if (!samlRequest) throw new Error('node-saml produced no SAMLRequest');
  const xml = inflateRawSync(Buffer.from(samlRequest, 'base64')).toString('utf8');
  const id = attr(parseXmlStrict(xml, 'AuthnRequest').documentElement, 'ID');
  if (!id) throw new Error('AuthnRequest has no ID');
  return id;
}

// long: closure over one IdP's node-saml instance and the resolved SP; its bulk is validateResponse.
export function createIdpEngine(sp: ResolvedSp, idp: ResolvedIdp, mode: { preview: boolean } = { preview: false }): IdpEngine {
  const saml = buildNodeSaml(sp, idp, mode.preview);
  const signed = idp.settings.signed;
  const spKey = sp.settings.keys.encryptionKeyPem;

  async function createLoginRequest(relayState?: string): Promise<LoginRequest> {
    if (!idp.settings.metadata.ssoRedirectUrl) {
      throw new SamlConfigError(`idp ${idp.id}`, 'metadata has no HTTP-Redirect SingleSignOnService');
    }
    if (relayState !== undefined && Buffer.byteLength(relayState, 'utf8') > MAX_RELAY_STATE_BYTES) {
      throw new RangeError(`RelayState exceeds ${MAX_RELAY_STATE_BYTES} bytes`);
    }
    const redirectUrl = await saml.getAuthorizeUrlAsync(relayState ?? '', undefined, {});
    return { redirectUrl, requestId: extractRequestId(redirectUrl) };
  }

  // long: one linear pipeline of the SAML checks in the order they must run (refuse on
  // unsigned bytes, verify, re-check on signed bytes); split up, it would hide which bytes each check reads.
  async function validateResponse(
    msg: DecodedMessage,
    doc: Document,
    expected: ExpectedRequest,
    now: AssertionExpectations['now'],
  ): Promise<PreparedLogin> {
    const root = doc.documentElement;
    const requestId = await pendingRequestId(expected, root);
    if (requestId !== null && (typeof requestId !== 'string' || requestId === '')) {
      throw new CallerFault(new TypeError('the expected request ID must be a non-empty string or null'));
    }
    // Profiles §4.1.5: IdP-initiated SSO is an explicit per-IdP opt-in.
    if (requestId === null && !idp.settings.allowUnsolicited) {
      throw new SamlRefusal('unsolicited', 'no login is pending in this browser and the IdP may not start one');
    }
    const rule: Exclude<InResponseToRule, { mode: 'ignore' }> =
      requestId === null ? { mode: 'unsolicited' } : { mode: 'solicited', requestId };
    const envExpect = { idpEntityId: idp.entityId, acsUrl: sp.acsUrl, inResponseTo: rule };
    const expectations: AssertionExpectations = {
      idpEntityId: idp.entityId,
      audience: sp.entityId,
      recipient: sp.acsUrl,
      inResponseTo: rule,
      requireAuthnStatement: true,
      skewMs: idp.skewMs,
      maxAgeMs: idp.maxAgeMs,
      maxAuthnAgeMs: idp.maxAuthnAgeMs,
      now,
    };

    const sole = soleResponseAssertion(doc);
    assertSignaturePlacement(doc);
    // Raw root values are unauthenticated here: this can only refuse. Re-checked on signed bytes below.
    checkResponseEnvelope(readEnvelope(root, false), envExpect);
    assertSignatureAlgorithms(doc, IDP_SIGNATURE_POLICY);
    assertEncryptionAlgorithms(doc, idp.settings.allowCbcEncryption);

    const presence = {
      response: signatureOf(root) !== undefined,
      assertion: !sole.encrypted && signatureOf(sole.element) !== undefined,
      encrypted: sole.encrypted,
    };
    if (signed !== 'assertion' && !presence.response) throw new SamlRefusal('signature_missing', 'the Response is not signed');
    if (signed !== 'response' && !sole.encrypted && !presence.assertion) {
      throw new SamlRefusal('signature_missing', 'the Assertion is not signed');
    }
    // Profile checks on the still-unverified plain assertion: refusal-only (precise reasons, and
    // independent of node-saml's messages). They run again, authoritatively, on the signed bytes.
    if (!sole.encrypted) checkAssertion(readAssertion(sole.element), expectations);

    const validation = Object.create(saml) as SamlKeepingSignedBytes;
    let profile: Profile | null;
    try {
      ({ profile } = await validation.validatePostResponseAsync({ SAMLResponse: msg.base64 }));
    } catch (err) {
      // One node-saml message covers an absent and a failing inner signature. node-saml has just decrypted
      // this assertion (after any Response signature verified), so decrypting it again to tell which exposes
      // nothing new.
      if (sole.encrypted && err instanceof Error && ENCRYPTED_ASSERTION_SIGNATURE.test(err.message)) {
        presence.assertion = signatureOf((await decryptedAssertionDocument(sole.element, spKey)).documentElement) !== undefined;
      }
      throw translateNodeSamlError(err, presence);
    }
    if (!profile) throw new SamlRefusal('assertion_missing', 'node-saml returned no profile');

    // The Response envelope from its signed bytes when it is signed. node-saml hands the hook the Response's
    // verified bytes when its signature verified, else the assertion's: a signed Response whose signature
    // did not verify (accepted by node-saml on a signed assertion alone) is refused here.
    const signedRoot = validation.signedRoot;
    if (presence.response) {
      if (!signedRoot || !isNamed(signedRoot, NS.samlp, 'Response')) {
        throw new SamlRefusal('signature_invalid', 'no pinned certificate verifies the Response signature');
      }
      checkResponseEnvelope(readEnvelope(signedRoot, true), envExpect);
    }

    // The assertion ONLY from signed bytes: a plain assertion of a signed Response is the one inside those
    // bytes (the element node-saml took its profile from); a verified assertion is those bytes themselves (what
    // the hook handed node-saml); otherwise node-saml's signed-then-decrypted assertion.
    const assertion = validation.signedAssertion ?? (presence.response && !sole.encrypted ? noSingleAssertion() : parseSignedAssertion(profile));
    assertSignatureAlgorithms(assertion, IDP_SIGNATURE_POLICY);
    if (sole.encrypted) {
      // node-saml verified (or skipped) the inner signature with xml-crypto's defaults (SHA-1 allowed);
      // decrypt the same ciphertext once more, without insecure algorithms, and inspect what was inside.
      const plainDoc = await decryptedAssertionDocument(sole.element, spKey);
      assertSoleBareAssertion(plainDoc);
      assertSignaturePlacement(plainDoc);
      assertSignatureAlgorithms(plainDoc, IDP_SIGNATURE_POLICY);
      assertEncryptionAlgorithms(plainDoc, idp.settings.allowCbcEncryption);
    }

    return prepareLogin({
      assertion: readAssertion(assertion),
      expectations,
      idp,
      spEntityId: sp.entityId,
    });
  }

  return { idp, createLoginRequest, validateResponse };
}
