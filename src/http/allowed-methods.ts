import type { Hono } from 'hono';
import { TrieRouter } from 'hono/router/trie-router';

/**
 * The methods the app's routes serve at a path (RFC 9110 §10.2.1 `Allow`), for a request no route served: empty
 * when no route has the path at all (404), else the list for a 405. Built once from the routes (middleware,
 * mounted for every method, is not a route); HEAD is served wherever GET is.
 */
export function allowedMethods(app: Pick<Hono, 'routes'>): (path: string) => string[] {
  const router = new TrieRouter<string>();
  for (const route of app.routes) if (route.method !== 'ALL') router.add('ALL', route.path, route.method);
  return (path) => {
    const methods = new Set(router.match('GET', path)[0].map(([method]) => method));
    if (methods.has('GET')) methods.add('HEAD');
    return [...methods].sort();
  };
}
