// Clients and token policy for grant tests: plain registry entries (what buildClientRegistry makes from config).
import type { Client } from '../../src/clients/registry.js';
import { DUMMY_SECRET_HASH } from '../../src/clients/secret-hash.js';
import { GRANT_TYPES } from '../../src/core/constants.js';
import { parseForm, type FormParams } from '../../src/core/form-params.js';
import type { TokenPolicy } from '../../src/grants/policy.js';

export const SIS = 'https://sis.example.edu';
export const REPORTS = 'https://reports.example.edu';

export const policy: TokenPolicy = {
  audiences: new Map([
    [SIS, { id: SIS, scopes: new Set(['r', 'w']) }],
    [REPORTS, { id: REPORTS, scopes: new Set(['r']), maxTtlSeconds: 120 }],
    ['beta', { id: 'beta', scopes: new Set(['r']) }],
  ]),
  defaultTtlSeconds: 300,
  maxTtlSeconds: 600,
};

export function client(id: string, extra: Partial<Client> = {}): Client {
  return {
    id,
    auth: { method: 'client_secret_basic', secretHash: DUMMY_SECRET_HASH },
    audiences: new Set([SIS, REPORTS, 'beta']),
    defaultAudience: undefined,
    scopes: new Set(['r', 'w']),
    grantTypes: new Set(Object.values(GRANT_TYPES)),
    maxTtlSeconds: undefined,
    mayAct: undefined,
    release: [],
    upstreamTokenRelease: new Set(),
    ...extra,
  };
}

export const form = (params: Record<string, string | string[]>): FormParams => {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) for (const one of [v].flat()) body.append(k, one);
  return parseForm(body.toString());
};
