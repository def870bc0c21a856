import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSelfSignedRsa } from '../../saml/sp-keys.js';

export interface DemoIdpKeys {
  keyPem: string;
  certPem: string;
}

const KEY_FILE = 'demo-idp-signing.key';
const CERT_FILE = 'demo-idp-signing.crt';

/**
 * The demo IdP's signing key pair (RSA-2048, self-signed), generated on the first demo start under `dir` and
 * reused afterwards. A half-present pair is simply regenerated: the IdP metadata that pins the certificate is
 * rewritten at every start, so nothing else trusts the old one.
 */
export async function ensureDemoIdpKeys(dir: string, now: Date): Promise<DemoIdpKeys> {
  const keyPath = join(dir, KEY_FILE);
  const certPath = join(dir, CERT_FILE);
  if (existsSync(keyPath) && existsSync(certPath)) {
    return { keyPem: readFileSync(keyPath, 'utf8'), certPem: readFileSync(certPath, 'utf8') };
  }
  const pair = await createSelfSignedRsa({ commonName: 'campus-sts demo IdP', use: 'signing', now, validityDays: 3650 });
  writeFileSync(keyPath, pair.keyPem, { mode: 0o600 });
  writeFileSync(certPath, pair.certPem);
  return pair;
}
