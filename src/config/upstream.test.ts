import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from './load.js';

/** The upstreams section: every mistake fails at start, naming the exact path. */

const sis = {
  id: 'sis',
  provider: 'generic-oauth2',
  grant: 'client_credentials',
  api_base_url: 'https://sis.example.edu/api',
  token_url: 'https://login.example.edu/oauth2/token',
  client_id: 'campus-sts',
  client_secret_env: 'SIS_SECRET',
  routes: [{ method: 'GET', path: '/students/{claims.student_id}', scope: 'student.read' }],
};

function issues(patch: Record<string, unknown>): string[] {
  try {
    parseConfig({
      issuer: 'https://sts.example.edu',
      audiences: [{ id: 'sis', scopes: ['student.read'] }, { id: 'https://reports.example.edu', scopes: ['student.read'] }],
      clients: [{ id: 'backend', auth: { method: 'client_secret_basic', secret_env: 'X' }, audiences: ['https://reports.example.edu'], scopes: ['student.read'] }],
      upstreams: [sis],
      ...patch,
    });
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.issues;
    throw err;
  }
}

const upstream = (over: Record<string, unknown>) => ({ upstreams: [{ ...sis, ...over }] });

describe('upstreams configuration', () => {
  it('accepts a client-credentials SIS with a route table', () => {
    expect(issues({})).toEqual([]);
  });

  it('lets console admins (no shared token) connect an authorization-code upstream', () => {
    const metadata = { file: '/dev/null' };
    const codeGrant = upstream({ grant: 'authorization_code', authorize_url: 'https://login.example.edu/authorize' });
    expect(issues({ ...codeGrant, idps: [{ id: 'campus', metadata, signed: 'both', subject: { source: 'eppn' } }], admin: { roles: { admin: ['urn:x:admin'] } } })).toEqual([]);
    expect(issues({ ...codeGrant, upstream_admin: { token_env: 'T' } })).toEqual([]);
  });

  it.each([
    ['an inline secret', upstream({ client_secret: 'hunter2', client_secret_env: undefined }), ['upstreams[0]: Unrecognized key: "client_secret"', 'upstreams[0]: expected exactly one of client_secret_env or client_secret_file']],
    ['a route on an undeclared audience', upstream({ id: 'crm' }), ['upstreams[0].id: declare "crm" under audiences (tokens for the proxy carry it as their audience)']],
    ['a route scope the audience does not allow', upstream({ routes: [{ method: 'GET', path: '/x', scope: 'grades.read' }] }), ['upstreams[0].routes[0].scope: scope "grades.read" is not allowed by audience "sis"']],
    ['a traversal in a template', upstream({ routes: [{ method: 'GET', path: '/a/../b', scope: 'student.read' }] }), ['upstreams[0].routes[0].path: must not contain "." or ".." segments']],
    ['a partial claim segment', upstream({ routes: [{ method: 'GET', path: '/s-{claims.id}', scope: 'student.read' }] }), ['upstreams[0].routes[0].path: segment "s-{claims.id}" must be unreserved characters (A-Z a-z 0-9 - . _ ~) or a whole {claims.NAME}']],
    ['a duplicate route', upstream({ routes: [sis.routes[0], sis.routes[0]] }), ['upstreams[0].routes[1]: duplicate route GET /students/{claims.student_id}', 'upstreams[0].routes[1].id: duplicate route id "GET /students/{claims.student_id}"']],
    ['an unknown method', upstream({ routes: [{ method: 'TRACE', path: '/x', scope: 'student.read' }] }), [expect.stringMatching(/^upstreams\[0\]\.routes\[0\]\.method: Invalid option/)]],
    ['plain http to a remote host', upstream({ token_url: 'http://login.example.edu/token' }), ['upstreams[0].token_url: must use https outside localhost']],
    ['credentials in a URL', upstream({ api_base_url: 'https://user:pw@sis.example.edu/api' }), ['upstreams[0].api_base_url: must not have a query, fragment or credentials']],
    ['authorization code without an authorize_url', upstream({ grant: 'authorization_code' }), [
      'upstreams[0].grant: authorization_code upstreams are connected by an admin in the browser: configure admin.roles.admin (console sign-in), or upstream_admin for headless setups',
      'upstreams[0].authorize_url: required for grant authorization_code',
    ]],
    ['a seed without its grant', upstream({ refresh_token_env: 'RT' }), ['upstreams[0].refresh_token_env: grant client_credentials takes no seeded token']],
    ['a refresh_token grant without its seed', upstream({ grant: 'refresh_token' }), ['upstreams[0]: expected exactly one of refresh_token_env or refresh_token_file']],
    ['a timeout out of range', upstream({ timeout_ms: 0 }), [expect.stringMatching(/^upstreams\[0\]\.timeout_ms: Too small/)]],
    ['a refresh deadline shorter than the call deadline', upstream({ timeout_ms: 20_000, refresh_timeout_ms: 5_000 }), ['upstreams[0].refresh_timeout_ms: must be at least timeout_ms: a refresh is never abandoned before its caller gives up']],
    ['qualtrics without a host', { upstreams: [{ id: 'q', provider: 'qualtrics', grant: 'client_credentials', client_id: 'c', client_secret_env: 'Q' }] }, ['upstreams[0]: expected exactly one of datacenter or base_url']],
    ['qualtrics with a bad data centre', { upstreams: [{ id: 'q', provider: 'qualtrics', datacenter: 'CA1.evil.example#', grant: 'client_credentials', client_id: 'c', client_secret_env: 'Q' }] }, ['upstreams[0].datacenter: expected a data centre id like "ca1"']],
    ['surveymonkey by client credentials', { upstreams: [{ id: 'sm', provider: 'surveymonkey', grant: 'client_credentials', client_id: 'c', client_secret_env: 'S' }] }, [expect.stringMatching(/^upstreams\[0\]\.grant: Invalid option/)]],
    ['apply without a site', { upstreams: [{ id: 'apply', provider: 'surveymonkey-apply', grant: 'refresh_token', client_id: 'c', client_secret_env: 'S', refresh_token_env: 'R' }] }, [expect.stringMatching(/^upstreams\[0\]\.site_url: Invalid input/)]],
    ['two upstreams with one id', { upstreams: [sis, sis] }, ['upstreams[1].id: duplicate id "sis"']],
  ])('refuses %s', (_name, patch, expected) => {
    expect(issues(patch)).toEqual(expected);
  });

  it('checks token release: a known upstream, never SurveyMonkey, never also an audience', () => {
    const sm = { id: 'sm', provider: 'surveymonkey', grant: 'static', access_token_env: 'SM_TOKEN' };
    expect(
      issues({
        upstreams: [sis, sm],
        clients: [{ id: 'backend', auth: { method: 'client_secret_basic', secret_env: 'X' }, audiences: ['sis'], scopes: ['student.read'], upstream_token_release: ['sis', 'sm', 'nope'] }],
      }),
    ).toEqual([
      'clients[0].upstream_token_release[0]: "sis" is also in this client\'s audiences: a target is either our token or the upstream\'s, not both',
      'clients[0].upstream_token_release[1]: SurveyMonkey tokens do not expire and are never released; use the proxy',
      'clients[0].upstream_token_release[2]: unknown upstream "nope"',
    ]);
  });

  it('uses the configured audience (a URI) instead of the id', () => {
    expect(issues(upstream({ audience: 'https://reports.example.edu' }))).toEqual([]);
    expect(issues(upstream({ audience: 'https://other.example.edu' }))).toEqual(['upstreams[0].audience: declare "https://other.example.edu" under audiences (tokens for the proxy carry it as their audience)']);
  });

  it('checks the admin seam and the previous master key', () => {
    expect(issues({ upstream_admin: { token_env: 'A', token_file: '/run/a' } })).toEqual(['upstream_admin: expected exactly one of token_env or token_file']);
    expect(issues({ master_key: { key_env: 'K', previous_key_env: 'P', previous_key_file: '/p' } })).toEqual(['master_key: expected at most one of previous_key_env or previous_key_file']);
  });
});
