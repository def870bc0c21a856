// Drives SimpleSAMLphp's username/password login over plain HTTP, the way a browser would:
// follow the HTTP-Redirect AuthnRequest, fill in the login form, and pick up the
// auto-submit form that would POST the SAMLResponse to the SP's ACS. Nothing is sent to
// the ACS; the caller posts it to whatever SP it is testing.
import { pageText, parseForms } from './html.js';

export interface IdpCredentials {
  username: string;
  password: string;
}

export interface IdpLoginResult {
  /** The form's action: the ACS the IdP answers to (its registered one, whatever was asked). */
  acsUrl: string;
  /** base64 <samlp:Response>, as the browser would post it. */
  SAMLResponse: string;
  RelayState?: string;
}

export type IdpLoginFailure = 'wrong-credentials' | 'unexpected-page';

export class IdpLoginError extends Error {
  constructor(
    readonly reason: IdpLoginFailure,
    readonly status: number,
    readonly url: string,
    readonly html: string,
    detail: string,
  ) {
    super(`IdP login failed (${reason}) at ${url} [${status}]: ${detail}`);
    this.name = 'IdpLoginError';
  }
}

/** Cookies by host name (cookies ignore ports). Enough for the IdP's session cookies. */
export class CookieJar {
  private readonly byHost = new Map<string, Map<string, string>>();

  header(url: URL): string | undefined {
    const jar = this.byHost.get(url.hostname);
    if (!jar?.size) return undefined;
    return [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  store(url: URL, setCookies: string[]): void {
    let jar = this.byHost.get(url.hostname);
    if (!jar) this.byHost.set(url.hostname, (jar = new Map()));
    for (const line of setCookies) {
      const [pair = '', ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const expired = attrs.some((a) => {
        const [k = '', v = ''] = a.split('=').map((s) => s.trim());
        if (/^max-age$/i.test(k)) return Number(v) <= 0;
        if (/^expires$/i.test(k)) return Date.parse(v) <= Date.now();
        return false;
      });
      if (expired) jar.delete(name);
      else jar.set(name, pair.slice(eq + 1).trim());
    }
  }
}

export interface LoginOptions {
  /** Reuse to keep the IdP session between logins (SSO without a second password prompt). */
  jar?: CookieJar;
  /** Per HTTP request. Default 10 s. */
  timeoutMs?: number;
}

/**
 * Logs in at the IdP for an SP-initiated HTTP-Redirect AuthnRequest URL. With an existing IdP
 * session in `opts.jar` no form is shown and the credentials are not used.
 * Throws IdpLoginError: 'wrong-credentials' when the IdP shows its login form again after the
 * credentials were posted, 'unexpected-page' for anything else (error page, 4xx/5xx...).
 */
export async function loginAtIdp(
  authnRequestRedirectUrl: string,
  creds: IdpCredentials,
  opts: LoginOptions = {},
): Promise<IdpLoginResult> {
  const client = new Client(opts.jar ?? new CookieJar(), opts.timeoutMs ?? 10_000);
  let page = await client.request(authnRequestRedirectUrl);
  let posted = false;
  for (;;) {
    const forms = parseForms(page.html);
    const saml = forms.find((f) => f.fields.has('SAMLResponse'));
    if (saml) {
      const relayState = saml.fields.get('RelayState');
      return {
        acsUrl: new URL(saml.action, page.url).href,
        SAMLResponse: saml.fields.get('SAMLResponse') ?? '',
        ...(relayState !== undefined ? { RelayState: relayState } : {}),
      };
    }
    const login = forms.find((f) => f.fields.has('password'));
    if (!login) throw new IdpLoginError('unexpected-page', page.status, page.url, page.html, pageText(page.html));
    if (posted) throw new IdpLoginError('wrong-credentials', page.status, page.url, page.html, pageText(page.html));
    const body = new URLSearchParams([...login.fields]);
    body.set('username', creds.username);
    body.set('password', creds.password);
    page = await client.request(new URL(login.action || page.url, page.url).href, body);
    posted = true;
  }
}

interface Page {
  url: string;
  status: number;
  html: string;
}

const MAX_REDIRECTS = 10;

class Client {
  constructor(private readonly jar: CookieJar, private readonly timeoutMs: number) {}

  /** GET (or POST a form), following redirects like a browser; returns the final page. */
  async request(href: string, form?: URLSearchParams): Promise<Page> {
    let url = new URL(href);
    let body = form;
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      assertLoopback(url);
      const headers: Record<string, string> = {};
      const cookie = this.jar.header(url);
      if (cookie) headers.cookie = cookie;
      if (body) headers['content-type'] = 'application/x-www-form-urlencoded';
      const res = await fetch(url, {
        method: body ? 'POST' : 'GET',
        headers,
        ...(body ? { body: body.toString() } : {}),
        redirect: 'manual',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      this.jar.store(url, res.headers.getSetCookie());
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        await res.body?.cancel();
        url = new URL(location, url);
        // 307/308 keep the method and body; the IdP only uses 302/303.
        if (res.status !== 307 && res.status !== 308) body = undefined;
        continue;
      }
      return { url: url.href, status: res.status, html: await res.text() };
    }
    throw new Error(`more than ${MAX_REDIRECTS} redirects starting at ${href}`);
  }
}

function assertLoopback(url: URL): void {
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) {
    throw new Error(`refusing to send test traffic to ${url.origin}`);
  }
}
