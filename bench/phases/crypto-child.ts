// Entry point of the crypto microbenchmark's child (bench/phases/crypto.ts starts it): the cheapest this machine
// can do an exchange's cryptography, i.e. node:crypto's synchronous ES256 on KeyObjects, raw (IEEE P1363)
// signatures, no JOSE library around it. Reports CPU µs per verify and per sign, batch by batch, over IPC.
import { generateKeyPairSync, sign, verify } from 'node:crypto';
import type { CryptoBatch, CryptoJob } from './crypto.js';

function cpuMicros(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

/** CPU µs per call of `op` over `n` calls. */
function perCall(n: number, op: () => unknown): number {
  const start = cpuMicros();
  for (let i = 0; i < n; i++) op();
  return (cpuMicros() - start) / n;
}

function run(job: CryptoJob): CryptoBatch[] {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const options = { dsaEncoding: 'ieee-p1363' } as const;
  // The same bytes as the exchange's JWS signing inputs: the subject token it verifies, the token it signs.
  const verifyInput = Buffer.from(job.verifyInput);
  const signInput = Buffer.from(job.signInput);
  const signature = sign('sha256', verifyInput, { key: privateKey, ...options });
  const doVerify = () => {
    if (!verify('sha256', verifyInput, { key: publicKey, ...options }, signature)) throw new Error('ES256 verification failed');
  };
  const doSign = () => sign('sha256', signInput, { key: privateKey, ...options });
  perCall(job.warmup, doVerify);
  perCall(job.warmup, doSign);
  return Array.from({ length: job.batches }, () => ({ verifyUs: perCall(job.iterations, doVerify), signUs: perCall(job.iterations, doSign) }));
}

process.once('message', (job: CryptoJob) => {
  process.send?.(run(job), () => process.exit(0));
});
process.on('disconnect', () => process.exit(0));
