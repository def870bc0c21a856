/**
 * Algorithm allow-lists, checked on the whole document BEFORE any signature is verified or anything is
 * decrypted (saml-security.md §2.4, gaps G7/G8): node-saml has no verification allow-list (xml-crypto
 * accepts rsa-sha1 / sha1 by default) and xml-encryption 3.x decrypts rsa-1_5, 3DES and AES-CBC.
 * Every element is inspected, not only the first one, because xml-crypto and xml-encryption select
 * algorithms with `.//` / `//` XPaths (the first match anywhere wins).
 */
import {
  C14N_ALGORITHMS, DATA_ENCRYPTION, DIGEST_ALGORITHMS, KEY_TRANSPORT, OAEP_DIGESTS, SIGNATURE_ALGORITHMS,
  TRANSFORM_ENVELOPED,
} from './constants.js';
import { SamlRefusal } from './errors.js';
import { attr, childElements, descendantElements, isElement } from './xml.js';

export interface SignaturePolicy {
  signature: readonly string[];
  digest: readonly string[];
}

/** IdP messages: RSA with SHA-256/512. No SHA-1, no HMAC (key confusion), nothing else. */
export const IDP_SIGNATURE_POLICY: SignaturePolicy = {
  signature: [SIGNATURE_ALGORITHMS.rsaSha256, SIGNATURE_ALGORITHMS.rsaSha512],
  digest: [DIGEST_ALGORITHMS.sha256, DIGEST_ALGORITHMS.sha512],
};

/** Federation metadata aggregates: RSA-SHA256 only. */
export const METADATA_SIGNATURE_POLICY: SignaturePolicy = {
  signature: [SIGNATURE_ALGORITHMS.rsaSha256],
  digest: [DIGEST_ALGORITHMS.sha256],
};

export const C14N_ALLOWED: readonly string[] = [C14N_ALGORITHMS.exc, C14N_ALGORITHMS.inclusive];
export const TRANSFORMS_ALLOWED: readonly string[] = [TRANSFORM_ENVELOPED, ...C14N_ALLOWED];
export const MAX_TRANSFORMS = 2;

export const GCM_ALGORITHMS: readonly string[] = [DATA_ENCRYPTION.aes128gcm, DATA_ENCRYPTION.aes256gcm];
export const CBC_ALGORITHMS: readonly string[] = [DATA_ENCRYPTION.aes128cbc, DATA_ENCRYPTION.aes256cbc];
export const KEY_TRANSPORT_ALLOWED: readonly string[] = [KEY_TRANSPORT.rsaOaepMgf1p];

function algorithmOf(el: Element, refusal: 'algorithm_forbidden' | 'encryption_algorithm_forbidden'): string {
  const alg = attr(el, 'Algorithm');
  if (!alg) throw new SamlRefusal(refusal, `${el.localName} without Algorithm`);
  return alg;
}

/**
 * Every ds:SignatureMethod, DigestMethod, CanonicalizationMethod and Transform in the tree must be on
 * the allow-list, and no Reference may carry more than two transforms (CVE-2021-39171 class).
 * Matching is by local name in any namespace, as xml-crypto's own XPaths match.
 */
export function assertSignatureAlgorithms(root: Node, policy: SignaturePolicy = IDP_SIGNATURE_POLICY): void {
  for (const el of descendantElements(root)) {
    switch (el.localName) {
      case 'SignatureMethod': {
        const alg = algorithmOf(el, 'algorithm_forbidden');
        if (!policy.signature.includes(alg)) throw new SamlRefusal('algorithm_forbidden', `SignatureMethod ${alg}`);
        if (childElements(el).length > 0) throw new SamlRefusal('algorithm_forbidden', 'SignatureMethod parameters');
        break;
      }
      case 'DigestMethod': {
        const alg = algorithmOf(el, 'algorithm_forbidden');
        const parent = el.parentNode;
        if (isElement(parent) && parent.localName === 'EncryptionMethod') {
          // The OAEP digest of key transport (xml-encryption reads it), not a signature digest.
          if (!(OAEP_DIGESTS as readonly string[]).includes(alg)) {
            throw new SamlRefusal('encryption_algorithm_forbidden', `OAEP DigestMethod ${alg}`);
          }
        } else if (!policy.digest.includes(alg)) {
          throw new SamlRefusal('algorithm_forbidden', `DigestMethod ${alg}`);
        }
        break;
      }
      case 'CanonicalizationMethod': {
        const alg = algorithmOf(el, 'algorithm_forbidden');
        if (!C14N_ALLOWED.includes(alg)) throw new SamlRefusal('algorithm_forbidden', `CanonicalizationMethod ${alg}`);
        break;
      }
      case 'Transforms':
        if (childElements(el).length > MAX_TRANSFORMS) throw new SamlRefusal('algorithm_forbidden', 'too many transforms');
        break;
      case 'Transform': {
        const alg = algorithmOf(el, 'algorithm_forbidden');
        if (!TRANSFORMS_ALLOWED.includes(alg)) throw new SamlRefusal('algorithm_forbidden', `Transform ${alg}`);
        break;
      }
      default:
        break;
    }
  }
}

/**
 * Every xenc:EncryptionMethod: content encryption under EncryptedData must be AES-GCM (AES-CBC only
 * when `allowCbc`), key transport under EncryptedKey must be RSA-OAEP (MGF1). Anything else, or an
 * EncryptionMethod elsewhere, is refused.
 */
export function assertEncryptionAlgorithms(root: Node, allowCbc: boolean): void {
  for (const el of descendantElements(root, 'EncryptionMethod')) {
    const alg = algorithmOf(el, 'encryption_algorithm_forbidden');
    const parent = el.parentNode;
    const parentName = isElement(parent) ? parent.localName : '';
    if (parentName === 'EncryptedData') {
      const ok = GCM_ALGORITHMS.includes(alg) || (allowCbc && CBC_ALGORITHMS.includes(alg));
      if (!ok) throw new SamlRefusal('encryption_algorithm_forbidden', `content encryption ${alg}`);
    } else if (parentName === 'EncryptedKey') {
      if (!KEY_TRANSPORT_ALLOWED.includes(alg)) throw new SamlRefusal('encryption_algorithm_forbidden', `key transport ${alg}`);
    } else {
      throw new SamlRefusal('encryption_algorithm_forbidden', `EncryptionMethod under ${parentName || 'document'}`);
    }
  }
}
