/**
 * A minimal scripted browser for redirect flows: follows redirects by hand, keeps cookies per host name (as
 * browsers do, ports do not separate cookies) honouring Path, Max-Age and Expires, and can send a request to an
 * in-process app instead of the network for one origin. Enough for the upstream connect flow; no scripts.
 */
export type Dispatch = (url: string, init: RequestInit) => Promise<Response>;

interface StoredCookie {
  name: string;
  value: string;
  path: string;
  httpOnly: boolean;
  sameSite: string | undefined;
}

export class ScriptedBrowser {
  private readonly jar = new Map<string, StoredCookie[]>();
  /** Every URL visited, in order (redirects included). */
  readonly visited: string[] = [];

  constructor(private readonly dispatch: Dispatch = (url, init) => fetch(url, init)) {}

  cookies(host: string): StoredCookie[] {
    return this.jar.get(host) ?? [];
  }

  /** One request, no redirect following. */
  async request(url: string, init: RequestInit = {}): Promise<Response> {
    const u = new URL(url);
    this.visited.push(url);
    const cookie = this.cookies(u.hostname)
      .filter((c) => u.pathname === c.path || u.pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`))
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
    const headers = new Headers(init.headers);
    if (cookie) headers.set('cookie', cookie);
    const res = await this.dispatch(url, { ...init, headers, redirect: 'manual' });
    for (const line of res.headers.getSetCookie()) this.store(u, line);
    return res;
  }

  /** Follows redirects (at most 20) and returns the final answer and its URL. */
  async navigate(url: string, init: RequestInit = {}): Promise<{ res: Response; url: string }> {
    let current = url;
    let res = await this.request(current, init);
    for (let hops = 0; hops < 20 && res.status >= 300 && res.status < 400 && res.headers.get('location'); hops++) {
      current = new URL(res.headers.get('location')!, current).href;
      res = await this.request(current);
    }
    return { res, url: current };
  }

  private store(u: URL, line: string): void {
    const [pair, ...attrs] = line.split(';').map((s) => s.trim());
    const eq = pair!.indexOf('=');
    const name = pair!.slice(0, eq);
    const value = pair!.slice(eq + 1);
    const attr = new Map(attrs.map((a) => {
      const i = a.indexOf('=');
      return i === -1 ? [a.toLowerCase(), ''] : [a.slice(0, i).toLowerCase(), a.slice(i + 1)];
    }));
    const path = attr.get('path') || u.pathname.replace(/\/[^/]*$/, '') || '/';
    const expired = attr.get('max-age') === '0' || (attr.has('expires') && Date.parse(attr.get('expires')!) < Date.now()) || value === '';
    const list = (this.jar.get(u.hostname) ?? []).filter((c) => !(c.name === name && c.path === path));
    if (!expired) list.push({ name, value, path, httpOnly: attr.has('httponly'), sameSite: attr.get('samesite') });
    this.jar.set(u.hostname, list);
  }
}
