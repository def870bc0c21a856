// The crypto microbenchmark (issue 14: CPU per exchange / CPU of its cryptography alone): one ES256 verify and
// one ES256 sign of tokens of the exchange's size, in a child process of its own after the rotation (nothing
// else of the run is loaded then), as CPU µs per operation over a few thousand iterations per batch.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { median } from '../harness/rotation.js';

const ENTRY = fileURLToPath(new URL('./crypto-child.ts', import.meta.url));
const TIMEOUT_MS = 120_000;

/** What the child is asked: the two JWS signing inputs (header.payload) and how many times to run them. */
export interface CryptoJob {
  verifyInput: string;
  signInput: string;
  warmup: number;
  iterations: number;
  batches: number;
}

export interface CryptoBatch {
  verifyUs: number;
  signUs: number;
}

export interface CryptoResult {
  /** Sizes of the tokens it mirrors, in bytes. */
  verifiedBytes: number;
  signedBytes: number;
  iterations: number;
  batches: CryptoBatch[];
  /** Medians over the batches, CPU µs. */
  verifyUs: number;
  signUs: number;
  /** verify + sign: the cryptography of one exchange. */
  pairUs: number;
}

const signingInput = (jwt: string) => jwt.slice(0, jwt.lastIndexOf('.'));

/** `tokens`: a real exchange's subject token (verified) and the token it issued (signed). */
export async function measureCrypto(tokens: { verified: string; signed: string }, iterations = 3000, batches = 5): Promise<CryptoResult> {
  const job: CryptoJob = { verifyInput: signingInput(tokens.verified), signInput: signingInput(tokens.signed), warmup: 500, iterations, batches };
  const child = fork(ENTRY, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  try {
    const results = await new Promise<CryptoBatch[]>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`crypto microbenchmark did not finish within ${TIMEOUT_MS / 1000} s`)), TIMEOUT_MS);
      child.once('message', (m) => (clearTimeout(timer), resolve(m as CryptoBatch[])));
      child.once('exit', (code) => (clearTimeout(timer), reject(new Error(`crypto microbenchmark exited (${code}) without a result`))));
      child.send(job);
    });
    const verifyUs = median(results.map((b) => b.verifyUs));
    const signUs = median(results.map((b) => b.signUs));
    return { verifiedBytes: tokens.verified.length, signedBytes: tokens.signed.length, iterations, batches: results, verifyUs, signUs, pairUs: verifyUs + signUs };
  } finally {
    child.kill('SIGKILL');
  }
}
