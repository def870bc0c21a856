import { describe, expect, it } from 'vitest';
import * as errors from './oauth-errors.js';
import { OAuthError } from './oauth-errors.js';

/** Every concrete error class in the module, by export name. */
type AnyErrorClass = new (description: string, detail?: string, options?: { cause?: unknown }) => OAuthError;
const classes = (Object.entries(errors) as [string, unknown][]).filter(
  (e): e is [string, AnyErrorClass] => typeof e[1] === 'function' && e[1].prototype instanceof OAuthError,
);

describe('OAuth error classes', () => {
  it('share one constructor order: (description, detail?, options?)', () => {
    const cause = new Error('underneath');
    for (const [name, Class] of classes) {
      const err = new Class('public text', 'private reason', { cause });
      expect({ name, description: err.description, detail: err.detail, cause: err.cause }).toEqual({ name, description: 'public text', detail: 'private reason', cause });
      expect(new Class('public text').detail).toBe('public text');
    }
  });

  it('have one class per RFC error code; other classes only fix the status of that one', () => {
    const byCode = new Map<string, string>();
    for (const [name, Class] of classes) {
      const err = new Class('x');
      const base = Object.getPrototypeOf(Class) as typeof OAuthError;
      if (base === OAuthError) {
        expect({ code: err.code, name: byCode.get(err.code) }).toEqual({ code: err.code, name: undefined });
        byCode.set(err.code, name);
      }
    }
    for (const [name, Class] of classes) {
      const err = new Class('x');
      if (byCode.get(err.code) !== name) expect({ name, base: Object.getPrototypeOf(Class).name }).toEqual({ name, base: byCode.get(err.code) });
    }
    expect(Object.fromEntries([...byCode].map(([code, name]) => [name, code]))).toEqual({
      InvalidRequest: 'invalid_request',
      InvalidClient: 'invalid_client',
      InvalidGrant: 'invalid_grant',
      UnauthorizedClient: 'unauthorized_client',
      UnsupportedGrantType: 'unsupported_grant_type',
      InvalidScope: 'invalid_scope',
      InvalidTarget: 'invalid_target',
      AccessDenied: 'access_denied',
      TemporarilyUnavailable: 'temporarily_unavailable',
      InvalidToken: 'invalid_token',
      InsufficientScope: 'insufficient_scope',
      LoginRequired: 'login_required',
    });
  });

  it('carry the status variants of a code', () => {
    const statuses = Object.fromEntries(classes.map(([name, Class]) => [name, new Class('x').status]));
    expect(statuses).toMatchObject({ InvalidRequest: 400, NotFound: 404, MethodNotAllowed: 405, PayloadTooLarge: 413, TemporarilyUnavailable: 503, BadGateway: 502, GatewayTimeout: 504 });
  });

  it('keep the extras a response needs in the options', () => {
    expect(new errors.MethodNotAllowed('d', 'x', { allow: ['GET', 'HEAD'] }).allow).toEqual(['GET', 'HEAD']);
    expect(new errors.InvalidToken('d', 'x', { missing: true }).missing).toBe(true);
    expect(new errors.InvalidToken('d').missing).toBe(false);
    expect(new errors.InsufficientScope('d', 'x', { scope: 'records:read' }).scope).toBe('records:read');
    expect(new errors.LoginRequired('d', 'x', { loginUrl: '/admin/login' }).loginUrl).toBe('/admin/login');
  });
});
