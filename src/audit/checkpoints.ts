import { importJWK, jwtVerify, SignJWT, type CryptoKey, type JWK } from 'jose';
import type { Logger } from 'pino';
import type { Clock } from '../core/clock.js';
import { epochSeconds } from '../core/clock.js';
import { SIGNING_ALGORITHMS } from '../core/constants.js';
import type { AuditCheckpointRow } from '../db/schema/audit-checkpoints.js';
import type { SigningKeyRow } from '../db/schema/signing-keys.js';
import type { AuditLog } from './audit-log.js';
import type { AuditCheckpointStore } from './checkpoint-store.js';
import { verifyChainPages } from './chain.js';
import type { ChainAnchor } from './anchor.js';
import type { AuditReader } from './reader.js';

/** JWS `typ` of a checkpoint: never confusable with an access token (`at+jwt`), so it cannot be replayed as one. */
export const CHECKPOINT_TYP = 'campus-sts-audit-checkpoint+jwt';

/** What a checkpoint's signature covers. */
export interface CheckpointClaims {
  iss: string;
  iat: number;
  /** The newest row covered, and its hash: every row up to it is vouched for by the chain. */
  last_id: number;
  head_hash: string;
  /** The first row of the chain then (1, or the anchor after a prune), and the number of rows from it. */
  first_id: number;
  rows: number;
}

export type CheckpointTrigger = 'periodic' | 'console' | 'cli';

/** Refused: the chain does not verify, so nothing may be signed over it. */
export class ChainBroken extends Error {}

export interface CheckpointDeps {
  reader: AuditReader;
  audit: AuditLog;
  store: AuditCheckpointStore;
  clock: Clock;
  issuer: string;
  /** The service's current signing key (the keystore's, handed in by compose/): checkpoints are signed like tokens. */
  signingKey(): Promise<{ kid: string; alg: string; key: CryptoKey }>;
}

/**
 * Signed checkpoints of the chain head (flow 6, tamper evidence beyond the chain). A checkpoint is only signed
 * over a chain that verifies from the previous checkpoint on (checked incrementally), so a signature never
 * vouches for an already-tampered log. Recorded in `audit_checkpoints` and as an `audit.checkpoint` row.
 */
export function createCheckpoints(deps: CheckpointDeps) {
  /** `periodSeconds`: a periodic run's interval, of which it signs only the first checkpoint (see `signedThisPeriod`). */
  async function sign(trigger: CheckpointTrigger, actor: { subject?: string; requestId?: string } = {}, periodSeconds?: number): Promise<AuditCheckpointRow | undefined> {
    const now = deps.clock.now();
    const head = await deps.reader.head();
    if (!head) return undefined;
    // Nothing new since the last checkpoint but its own row: a periodic run would only sign itself.
    if (trigger === 'periodic' && head.event === 'audit.checkpoint') return undefined;
    const anchor = await deps.reader.anchor();
    const previous = await deps.store.latest();
    if (periodSeconds !== undefined && signedThisPeriod(previous, head.id, now, periodSeconds)) return undefined;
    await verifySince(deps.reader, anchor, previous, head.id);
    const claims: CheckpointClaims = {
      iss: deps.issuer,
      iat: epochSeconds(now),
      last_id: head.id,
      head_hash: head.hash,
      first_id: anchor.firstId,
      rows: head.id - anchor.firstId + 1,
    };
    const key = await deps.signingKey();
    const jws = await new SignJWT({ ...claims }).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: CHECKPOINT_TYP }).sign(key.key);
    return deps.audit.commit(async (tx) => {
      // Checked again under the write lock: another instance's timer may have signed since the check above.
      if (periodSeconds !== undefined && signedThisPeriod(await deps.store.latest(tx), head.id, now, periodSeconds)) return undefined;
      const row = await deps.store.add(tx, { at: now, lastId: claims.last_id, headHash: claims.head_hash, rows: claims.rows, kid: key.kid, jws });
      await deps.audit.append(tx, {
        event: 'audit.checkpoint',
        outcome: 'success',
        ...(actor.subject ? { subject: actor.subject } : {}),
        ...(actor.requestId ? { requestId: actor.requestId } : {}),
        data: { trigger, last_id: claims.last_id, head_hash: claims.head_hash, rows: claims.rows, kid: key.kid },
      });
      return row;
    });
  }

  return {
    /** Signs a checkpoint of the head now (on demand: the console, the CLI); undefined when the log is empty. */
    create: (trigger: CheckpointTrigger, actor: { subject?: string; requestId?: string } = {}) => sign(trigger, actor),
    latest: () => deps.store.latest(),
    list: (limit = 20) => deps.store.list(limit),
    /**
     * Periodic checkpoints, every `intervalSeconds`; a failure is logged, never thrown. `every` is the timer
     * (an unref'd setInterval by default: it never keeps the process alive); tests pass their own.
     */
    schedule(intervalSeconds: number, logger: Logger, every: Every = unrefInterval): () => void {
      if (intervalSeconds <= 0) return () => {};
      return every(intervalSeconds * 1000, () =>
        sign('periodic', {}, intervalSeconds).then(
          () => undefined,
          (err: unknown) => logger.error({ err }, 'audit checkpoint failed'),
        ),
      );
    },
  };
}

/** Throws ChainBroken unless the rows up to `headId` verify, from the `previous` checkpoint on when it still applies. */
async function verifySince(reader: AuditReader, anchor: ChainAnchor, previous: AuditCheckpointRow | undefined, headId: number): Promise<void> {
  const resume = previous && previous.lastId >= anchor.firstId && previous.lastId <= headId ? previous : undefined;
  const verdict = await verifyChainPages(
    reader.pages({ after: resume ? resume.lastId : anchor.firstId - 1, through: headId }),
    resume ? resume.headHash : anchor.prevHash,
    resume ? resume.lastId + 1 : anchor.firstId,
  );
  if (!verdict.ok) throw new ChainBroken(`audit chain broken at row ${verdict.badRowId}: ${verdict.problem}`);
}

/**
 * Whether a periodic run finds its work done: the latest checkpoint (any trigger) covers `headId` already, or was
 * made in the same period of the clock (epoch time / period). Every instance runs the timer, at its own moments:
 * the first of them in each period signs, the others skip. Periods of the clock rather than "younger than the
 * interval": a timer firing a little early never makes its own instance skip a whole interval.
 */
function signedThisPeriod(latest: AuditCheckpointRow | undefined, headId: number, now: Date, periodSeconds: number): boolean {
  if (!latest) return false;
  const period = (at: Date) => Math.floor(at.getTime() / (periodSeconds * 1000));
  return latest.lastId >= headId || period(latest.at) === period(now);
}

/** Runs `tick` every `ms`; returns the stop function. */
export type Every = (ms: number, tick: () => Promise<void>) => () => void;

const unrefInterval: Every = (ms, tick) => {
  const timer = setInterval(() => void tick(), ms);
  timer.unref();
  return () => clearInterval(timer);
};

export type Checkpoints = ReturnType<typeof createCheckpoints>;

/** Looks up a checkpoint's verification key by `kid`. */
export type CheckpointKeys = (kid: string) => Promise<CryptoKey | undefined>;

/** Where the signing keys are read from: the signing key store's `all` (every key, retired ones included). */
export type SigningKeyRows = () => Promise<Pick<SigningKeyRow, 'kid' | 'publicJwk' | 'alg'>[]>;

/**
 * Every signing key the service ever had (retired keys stay in the table after they leave the JWKS), so old
 * checkpoints still verify. Public halves only. A kid's key never changes, so each is read and imported once; a kid
 * not found yet is looked up again (a key rotated in since).
 */
export function keysFromSigningKeys(rows: SigningKeyRows): CheckpointKeys {
  const imported = new Map<string, CryptoKey>();
  return async (kid) => {
    const known = imported.get(kid);
    if (known) return known;
    const row = (await rows()).find((r) => r.kid === kid);
    if (!row) return undefined;
    const key = (await importJWK(JSON.parse(row.publicJwk) as JWK, row.alg)) as CryptoKey;
    imported.set(kid, key);
    return key;
  };
}

/** Public JWKs of every signing key (exports carry them for offline verification). */
export async function publicJwksOf(rows: SigningKeyRows): Promise<JWK[]> {
  return (await rows()).map((r) => JSON.parse(r.publicJwk) as JWK);
}

/** Keys from a JWK Set (a saved /jwks.json, or an export's header). */
export function keysFromJwks(jwks: { keys: JWK[] }): CheckpointKeys {
  return async (kid) => {
    const jwk = jwks.keys.find((k) => k.kid === kid);
    if (!jwk || 'd' in jwk) return undefined;
    return (await importJWK(jwk, jwk.alg)) as CryptoKey;
  };
}

/** Verifies a checkpoint JWS: signature by a known key, our `typ`, and the claim shapes. */
export async function verifyCheckpoint(jws: string, keys: CheckpointKeys, issuer?: string): Promise<CheckpointClaims & { kid: string }> {
  let kid = '';
  const { payload } = await jwtVerify(
    jws,
    async (header) => {
      kid = header.kid ?? '';
      const key = await keys(kid);
      if (!key) throw new Error(`no key with kid "${kid.slice(0, 64)}"`);
      return key;
    },
    { typ: CHECKPOINT_TYP, ...(issuer ? { issuer } : {}), algorithms: [...SIGNING_ALGORITHMS] },
  );
  const p = payload as Partial<CheckpointClaims>;
  if (!Number.isInteger(p.last_id) || typeof p.head_hash !== 'string' || !/^[0-9a-f]{64}$/.test(p.head_hash) || !Number.isInteger(p.rows) || !Number.isInteger(p.first_id)) {
    throw new Error('checkpoint claims are malformed');
  }
  return { ...(p as CheckpointClaims), kid };
}
