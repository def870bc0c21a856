// Self-signed RSA key pairs for the test IdP (signing) and test SPs (encryption).
// Uses the openssl CLI: Node's crypto can make keys but not X.509 certificates, and
// openssl is on every Debian machine that has the php packages installed.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface KeyPair {
  /** PKCS#8 PEM private key. */
  keyPem: string;
  /** Self-signed X.509 certificate, PEM. */
  certPem: string;
}

export async function createSelfSignedCert(commonName: string): Promise<KeyPair> {
  const dir = await mkdtemp(join(tmpdir(), 'ssp-cert-'));
  try {
    const keyFile = join(dir, 'key.pem');
    const certFile = join(dir, 'cert.pem');
    await run(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '30',
        '-subj', `/CN=${commonName.replace(/[/\\]/g, '_')}`, '-keyout', keyFile, '-out', certFile],
      { timeout: 15_000 },
    );
    return { keyPem: await readFile(keyFile, 'utf8'), certPem: await readFile(certFile, 'utf8') };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Base64 body of a PEM certificate, the form SimpleSAMLphp metadata expects. */
export function pemBody(certPem: string): string {
  const m = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(certPem);
  if (!m?.[1]) throw new Error('not a PEM certificate');
  return m[1].replace(/\s+/g, '');
}
