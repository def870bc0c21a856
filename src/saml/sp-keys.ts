/**
 * SP key material on first start: two RSA-2048 key pairs (AuthnRequest signing; assertion encryption,
 * kept separate so either can roll over alone) with self-signed certificates, as PEM files in `dir`.
 * Existing files are reused and checked (key matches certificate); a half-present pair is an error,
 * never silently replaced. Keys are written 0600 and published with an atomic no-clobber `link`, so two
 * instances starting together cannot end up with mismatched halves.
 *
 * Self-signed is right for SAML: trust is the certificate pinned in metadata, not a PKI chain.
 */
import 'reflect-metadata'; // @peculiar/x509 (tsyringe) needs a Reflect polyfill, loaded before it
import * as x509 from '@peculiar/x509';
import { createPrivateKey, randomBytes, webcrypto } from 'node:crypto';
import { link, mkdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { systemClock, type Clock } from '../core/clock.js';
import { checkRsaCertificate } from './config-check.js';
import { SamlConfigError } from './errors.js';
import type { SpKeys } from './settings.js';

export const SP_KEY_FILES = {
  signingKey: 'sp-signing.key',
  signingCert: 'sp-signing.crt',
  encryptionKey: 'sp-encryption.key',
  encryptionCert: 'sp-encryption.crt',
} as const;

export interface EnsureSpKeysOptions {
  /** Subject CN of generated certificates. Default "campus-sts SAML SP". */
  commonName?: string;
  /** Certificate validity, days. Default 3650 (dates are not checked by SAML peers; rollover is by metadata). */
  validityDays?: number;
  clock?: Clock;
}

export interface EnsureSpKeysResult extends SpKeys {
  /** True when at least one pair was generated now. */
  created: boolean;
  /** e.g. a key file readable by group/others. */
  warnings: string[];
}

export interface SelfSignedRsaOptions {
  commonName: string;
  use: 'signing' | 'encryption';
  now: Date;
  validityDays: number;
  /** Default 2048. */
  modulusLength?: number;
}

function toPem(der: ArrayBuffer, label: string): string {
  const lines = Buffer.from(der).toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** A fresh RSA key pair (PKCS#8 PEM) and a self-signed certificate (PEM) for it. */
export async function createSelfSignedRsa(o: SelfSignedRsaOptions): Promise<{ keyPem: string; certPem: string }> {
  const { use, now } = o;
  const params = {
    name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: o.modulusLength ?? 2048,
  };
  const keys = (await webcrypto.subtle.generateKey(params, true, ['sign', 'verify'])) as CryptoKeyPair;
  const usage = use === 'signing' ? x509.KeyUsageFlags.digitalSignature : x509.KeyUsageFlags.keyEncipherment;
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: `01${randomBytes(15).toString('hex')}`,
      name: `CN=${o.commonName.replace(/[,=+<>#;\\"]/g, ' ')} (${use})`,
      notBefore: new Date(now.getTime() - 60_000),
      notAfter: new Date(now.getTime() + o.validityDays * 86_400_000),
      signingAlgorithm: params,
      keys,
      extensions: [new x509.BasicConstraintsExtension(false, undefined, true), new x509.KeyUsagesExtension(usage, true)],
    },
    webcrypto as unknown as Crypto,
  );
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { keyPem: toPem(pkcs8, 'PRIVATE KEY'), certPem: cert.toString('pem') + '\n' };
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/** Writes `content` to `path` only if `path` does not exist (atomic: temp file + link). False if it existed. */
async function publishNoClobber(path: string, content: string, mode: number): Promise<boolean> {
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(tmp, content, { mode, flag: 'wx' });
  try {
    await link(tmp, path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

async function ensurePair(
  dir: string, keyFile: string, certFile: string, use: 'signing' | 'encryption', opts: Required<Omit<EnsureSpKeysOptions, 'clock'>> & { clock: Clock },
  warnings: string[],
): Promise<{ keyPem: string; certPem: string; created: boolean }> {
  const keyPath = join(dir, keyFile);
  const certPath = join(dir, certFile);
  const [hasKey, hasCert] = await Promise.all([exists(keyPath), exists(certPath)]);
  let created = false;
  if (hasKey !== hasCert) {
    throw new SamlConfigError(`${dir}`, `${hasKey ? certFile : keyFile} is missing while ${hasKey ? keyFile : certFile} exists; restore it or remove both`);
  }
  if (!hasKey) {
    const pair = await createSelfSignedRsa({ use, commonName: opts.commonName, now: opts.clock.now(), validityDays: opts.validityDays });
    // The key first: whoever links it owns the pair; a loser reads the winner's files below.
    if (await publishNoClobber(keyPath, pair.keyPem, 0o600)) {
      await publishNoClobber(certPath, pair.certPem, 0o644);
      created = true;
    } else {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  const [keyPem, certPem] = await Promise.all([readFile(keyPath, 'utf8'), readFile(certPath, 'utf8')]);
  const mode = (await stat(keyPath)).mode & 0o777;
  if (mode & 0o077) warnings.push(`${keyPath} is readable by group/others (mode ${mode.toString(8)}); use 0600`);
  const cert = checkRsaCertificate(certPem, certPath);
  let key;
  try {
    key = createPrivateKey(keyPem);
  } catch (err) {
    throw new SamlConfigError(keyPath, 'not a PEM private key', { cause: err });
  }
  if (!cert.checkPrivateKey(key)) throw new SamlConfigError(dir, `${keyFile} does not match ${certFile}`);
  return { keyPem, certPem, created };
}

/** Returns the SP keys in `dir`, generating the missing pairs on first start. */
export async function ensureSpKeys(dir: string, options: EnsureSpKeysOptions = {}): Promise<EnsureSpKeysResult> {
  const opts = {
    commonName: options.commonName ?? 'campus-sts SAML SP',
    validityDays: options.validityDays ?? 3650,
    clock: options.clock ?? systemClock,
  };
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const warnings: string[] = [];
  const signing = await ensurePair(dir, SP_KEY_FILES.signingKey, SP_KEY_FILES.signingCert, 'signing', opts, warnings);
  const encryption = await ensurePair(dir, SP_KEY_FILES.encryptionKey, SP_KEY_FILES.encryptionCert, 'encryption', opts, warnings);
  return {
    signingKeyPem: signing.keyPem,
    signingCertPem: signing.certPem,
    encryptionKeyPem: encryption.keyPem,
    encryptionCertPem: encryption.certPem,
    created: signing.created || encryption.created,
    warnings,
  };
}
