import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { AccessDenied, CLIENT_AUTHENTICATION_FAILED, InvalidClient, LoginRequired, type OAuthError } from '../core/oauth-errors.js';
import type { AppEnv } from './env.js';
import { oauthErrorResponse } from './errors.js';

async function answer(err: OAuthError) {
  const app = new Hono<AppEnv>().get('/', (c) => oauthErrorResponse(err, c));
  const res = await app.request('/');
  return { status: res.status, body: await res.json(), challenge: res.headers.get('www-authenticate'), cache: res.headers.get('cache-control') };
}

describe('the one JSON error writer', () => {
  it('answers login_required with where to sign in and no challenge (a Basic one makes browsers prompt)', async () => {
    expect(await answer(new LoginRequired('sign in to the admin console first', 'no session', { loginUrl: '/admin/login' }))).toEqual({
      status: 401,
      body: { error: 'login_required', error_description: 'sign in to the admin console first', login_url: '/admin/login' },
      challenge: null,
      cache: 'no-store',
    });
  });

  it('challenges invalid_client with Basic (RFC 6749 §5.2) and keeps the detail private', async () => {
    expect(await answer(new InvalidClient(CLIENT_AUTHENTICATION_FAILED, 'wrong client secret'))).toEqual({
      status: 401,
      body: { error: 'invalid_client', error_description: 'client authentication failed' },
      challenge: 'Basic realm="campus-sts", charset="UTF-8"',
      cache: 'no-store',
    });
  });

  it('answers access_denied as a plain 403', async () => {
    expect(await answer(new AccessDenied('this needs the admin role'))).toEqual({
      status: 403,
      body: { error: 'access_denied', error_description: 'this needs the admin role' },
      challenge: null,
      cache: 'no-store',
    });
  });
});
