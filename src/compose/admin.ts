import type { Hono } from 'hono';
import type { Logger } from 'pino';
import type { AuditLog } from '../audit/audit-log.js';
import { withActivityCache } from '../audit/activity-cache.js';
import { createChainMonitor } from '../audit/chain-status.js';
import type { AuditCheckpointStore } from '../audit/checkpoint-store.js';
import { createCheckpoints, keysFromSigningKeys, type Checkpoints, type Every, type SigningKeyRows } from '../audit/checkpoints.js';
import type { AuditReader } from '../audit/reader.js';
import type { Config } from '../config/schema.js';
import type { Clock } from '../core/clock.js';
import type { AppEnv } from '../http/env.js';
import type { SigningKey } from '../tokens/keystore.js';
import { createAdminLogin, type AdminLogin, type AdminSignIn } from '../admin/admin-login.js';
import { auditApiRoutes, publicCheckpointRoutes } from '../admin/audit-api.js';
import { auditPageRoutes } from '../admin/audit-pages.js';
import { createRequireAdmin, type RequireAdmin } from '../admin/require-admin.js';
import { revokeSubjectRoutes, type RevokeSubjectPort } from '../admin/revoke-routes.js';
import { createAdminSessions, type AdminSessionStore } from '../admin/sessions.js';
import type { AdminGate } from '../upstream/http/admin-gate.js';
import { answerConsoleRefusal, createSessionAdminGate } from '../admin/upstream-gate.js';

export interface AdminModule {
  /** The guard for admin routes: `requireAdmin('auditor')`, `requireAdmin('admin')` (CSRF-checked for unsafe methods). */
  requireAdmin: RequireAdmin;
  /** Finishes the sign-ins started at /admin/login (give it to `composeSso`, which registers it at the ACS). */
  completion: AdminLogin['completion'];
  checkpoints: Checkpoints;
  /** Console sessions with role `admin` as the gate of the upstream connect endpoints (give it to `composeUpstreams`). */
  upstreamConsole: { gate: AdminGate; answerRefusal: typeof answerConsoleRefusal };
  /** The routers, once the SAML module is built (undefined sign-in: no IdP, the console cannot be entered). */
  routes(signIn: AdminSignIn | undefined): Hono<AppEnv>[];
  /** Starts periodic checkpoints (`admin.audit.checkpoint_interval_seconds`); returns the stop function. */
  scheduleCheckpoints(logger: Logger, every?: Every): () => void;
}

/**
 * Wires the admin console and audit review from the config: sessions, the role policy, the `requireAdmin`
 * guard, checkpoints and the chain monitor, the JSON API and the pages, subject-wide revocation. Built before `composeSso` (which needs
 * the ACS hook); its routes are made after it, with the sign-in it returns.
 */
export function composeAdmin(opts: {
  config: Config;
  audit: AuditLog;
  clock: Clock;
  issuer: string;
  sessionStore: AdminSessionStore;
  auditReader: AuditReader;
  checkpointStore: AuditCheckpointStore;
  /** Every signing key, retired ones included (checkpoints signed with them still verify). */
  signingKeys: SigningKeyRows;
  signingKey(): Promise<SigningKey>;
  /** Subject-wide revocation (compose/subject-revocation.ts), the console's `/admin/revoke`. */
  revokeSubject: RevokeSubjectPort;
}): AdminModule {
  const { config, audit, clock, issuer } = opts;
  const admin = config.admin;
  const sessions = createAdminSessions({
    store: opts.sessionStore,
    commit: audit.commit,
    clock,
    timeouts: { idleSeconds: admin.session.idle_timeout_seconds, absoluteSeconds: admin.session.absolute_timeout_seconds },
  });
  const origin = new URL(issuer).origin;
  const requireAdmin = createRequireAdmin({ sessions, origin });
  // Enabled when someone can hold the admin role (the config check then guarantees an IdP to sign in with).
  const upstreamGate = createSessionAdminGate({ sessions, origin, enabled: admin.roles.admin.length > 0 });
  const login = createAdminLogin({
    audit,
    clock,
    sessions,
    policy: { claim: admin.roles_claim, values: { auditor: admin.roles.auditor, admin: admin.roles.admin } },
    idpId: admin.idp ?? (config.idps.length === 1 ? config.idps[0]!.id : undefined),
  });
  // The chart's counts of ended hours and days kept between the review page's loads.
  const reader = withActivityCache(opts.auditReader, clock);
  const checkpoints = createCheckpoints({ reader, audit, store: opts.checkpointStore, clock, issuer, signingKey: opts.signingKey });
  const monitor = createChainMonitor({ reader, checkpoints: opts.checkpointStore, clock, keys: keysFromSigningKeys(opts.signingKeys), issuer });
  const review = { reader, checkpointStore: opts.checkpointStore, signingKeys: opts.signingKeys, audit, clock, issuer, checkpoints, monitor };
  return {
    requireAdmin,
    completion: login.completion,
    checkpoints,
    upstreamConsole: { gate: upstreamGate, answerRefusal: answerConsoleRefusal },
    routes: (signIn) => [
      auditApiRoutes(review, requireAdmin),
      auditPageRoutes(review, requireAdmin, login, signIn),
      revokeSubjectRoutes(opts.revokeSubject, requireAdmin),
      publicCheckpointRoutes(checkpoints),
    ],
    scheduleCheckpoints: (logger, every) => checkpoints.schedule(admin.audit.checkpoint_interval_seconds, logger, every),
  };
}
