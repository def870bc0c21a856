/**
 * The pure core of the identity-bound proxy: which route rule (if any) allows a request, and the exact
 * upstream path it may reach. No I/O. The upstream path is always rebuilt from the rule's template and the
 * caller's own claims, never copied from the request, so nothing the caller writes between the segments can
 * steer the upstream request elsewhere.
 */

import { encodeSegment, type TemplatePart } from '../core/path-template.js';
import { bounded, quote } from '../core/bounded.js';

/**
 * Why a raw request path is refused before any rule is consulted: traversal (`..`, `.`, `%2e`), encoded
 * separators (`%2f`, `%5c`), backslashes, double encoding (`%25`), empty segments, or bytes a URL never
 * carries raw. Upstream servers and proxies disagree on how to decode these; refusing them removes the
 * disagreement (RFC 3986 §7.3, OWASP path traversal).
 */
export function unsafePathReason(rawPath: string): string | undefined {
  if (/[\\\x00-\x20\x7f-\uffff]/.test(rawPath)) return 'backslash, space, control or non-ASCII character in path';
  if (/%(2f|5c)/i.test(rawPath)) return 'encoded path separator';
  if (/%2e/i.test(rawPath)) return 'encoded dot';
  if (/%25/.test(rawPath)) return 'double percent-encoding';
  if (/%(?![0-9A-Fa-f]{2})/.test(rawPath)) return 'malformed percent-encoding';
  const segments = rawPath.split('/').slice(1);
  if (segments.some((s) => s === '.' || s === '..')) return 'dot segment';
  // A trailing "/" is a segment of its own (routes may name it); an empty one in the middle ("//") is not.
  if (segments.slice(0, -1).some((s) => s === '') || (segments.length === 1 && segments[0] === '' && rawPath !== '/')) return 'empty path segment';
  return undefined;
}

/** RFC 3986 §6.2.2: upper-case hex digits, and decode percent-encoded unreserved characters. */
function normalizeSegment(segment: string): string {
  return segment.replace(/%([0-9A-Fa-f]{2})/g, (_m, hex: string) => {
    const ch = String.fromCharCode(parseInt(hex, 16));
    return /[A-Za-z0-9_~-]/.test(ch) ? ch : `%${hex.toUpperCase()}`;
  });
}

export interface MatchableRoute {
  method: string;
  parts: TemplatePart[];
  /** When the upstream path differs from the caller's (`/me` → `/students/{claims.student_id}`). */
  upstreamParts?: TemplatePart[] | undefined;
  scope: string;
  query: readonly string[];
}

export type RouteRefusal =
  | { kind: 'unsafe_path'; detail: string }
  | { kind: 'no_route'; detail: string }
  | { kind: 'method'; detail: string }
  | { kind: 'missing_claim'; detail: string }
  | { kind: 'identity'; detail: string }
  | { kind: 'scope'; detail: string; scope: string }
  | { kind: 'query'; detail: string };

export type RouteDecision<R> = { ok: true; route: R; path: string; query: string } | { ok: false; refusal: RouteRefusal };

export interface RouteRequest {
  method: string;
  /** The path below `/upstreams/{id}`, still percent-encoded as received. */
  rawPath: string;
  /** The raw query string without "?" ("" when none). */
  rawQuery: string;
  /** The caller's verified token claims (released attributes plus `sub`). */
  claims: Readonly<Record<string, unknown>>;
  scopes: ReadonlySet<string>;
}

/**
 * Decides a request against an upstream's route table: the first rule whose method, path shape and claim
 * values all match wins; then its scope and query allow-list apply. Anything unmatched is refused with the
 * most specific reason (unsafe path, no such path, method, missing claim, another identity's path).
 */
export function matchRoute<R extends MatchableRoute>(routes: readonly R[], req: RouteRequest): RouteDecision<R> {
  const unsafe = unsafePathReason(req.rawPath);
  if (unsafe) return { ok: false, refusal: { kind: 'unsafe_path', detail: unsafe } };
  const segments = req.rawPath === '/' || req.rawPath === '' ? [] : req.rawPath.slice(1).split('/').map(normalizeSegment);
  const shaped = routes.filter((r) => r.parts.length === segments.length && r.parts.every((p, i) => !('literal' in p) || p.literal === segments[i]));
  if (shaped.length === 0) return { ok: false, refusal: { kind: 'no_route', detail: `no route for path ${bounded(req.rawPath, 200)}` } };
  const candidates = shaped.filter((r) => r.method === req.method);
  if (candidates.length === 0) return { ok: false, refusal: { kind: 'method', detail: `method ${req.method} is not allowed for path ${bounded(req.rawPath, 200)}` } };
  let missing: string | undefined;
  for (const route of candidates) {
    const built = fill(route.parts, req.claims);
    if ('missing' in built) {
      missing ??= built.missing;
      continue;
    }
    if (built.segments.some((s, i) => s !== segments[i])) continue;
    const upstream = route.upstreamParts ? fill(route.upstreamParts, req.claims) : built;
    if ('missing' in upstream) return { ok: false, refusal: { kind: 'missing_claim', detail: `the token has no usable claim "${upstream.missing}"` } };
    if (!req.scopes.has(route.scope)) return { ok: false, refusal: { kind: 'scope', scope: route.scope, detail: `route needs scope ${route.scope}` } };
    const query = checkQuery(req.rawQuery, route.query);
    if (typeof query !== 'string') return { ok: false, refusal: query };
    return { ok: true, route, path: `/${upstream.segments.join('/')}`, query };
  }
  if (missing) return { ok: false, refusal: { kind: 'missing_claim', detail: `the token has no usable claim "${missing}"` } };
  return { ok: false, refusal: { kind: 'identity', detail: `path ${bounded(req.rawPath, 200)} does not match the caller's claims` } };
}

/** A template with the caller's claims in it, one encoded segment per part; a missing claim names itself. */
function fill(parts: readonly TemplatePart[], claims: Readonly<Record<string, unknown>>): { segments: string[] } | { missing: string } {
  const segments: string[] = [];
  for (const part of parts) {
    if ('literal' in part) {
      segments.push(part.literal);
      continue;
    }
    // Own properties only: a claim named like an Object.prototype member is not a claim.
    const encoded = Object.prototype.hasOwnProperty.call(claims, part.claim) ? encodeSegment(claims[part.claim]) : undefined;
    if (encoded === undefined) return { missing: part.claim };
    segments.push(encoded);
  }
  return { segments };
}

/** Only the route's listed parameters pass; they are re-encoded (application/x-www-form-urlencoded). */
function checkQuery(rawQuery: string, allowed: readonly string[]): string | RouteRefusal {
  if (rawQuery === '') return '';
  const params = new URLSearchParams(rawQuery);
  for (const name of params.keys()) {
    if (!allowed.includes(name)) return { kind: 'query', detail: `query parameter ${quote(name, 64)} is not allowed by the route` };
  }
  return params.toString();
}
