/**
 * Route path templates (`/students/{claims.student_id}/enrollments`): parsed once by the config schema (a bad
 * template fails the start) and filled per request by the upstream proxy. Pure, no I/O.
 */

export type TemplatePart = { literal: string } | { claim: string };

/** RFC 3986 §2.3 unreserved characters; a literal segment is one or more of them, and not "." or "..". */
const LITERAL = /^[A-Za-z0-9._~-]+$/;
const CLAIM = /^\{claims\.([A-Za-z0-9_]{1,64})\}$/;

/**
 * Parses a route path template (`/students/{claims.student_id}/enrollments`). A trailing "/" is kept as an
 * empty last segment (Django-style APIs such as SurveyMonkey Apply's want it); "//" is refused.
 */
export function parseTemplate(path: string): { parts: TemplatePart[]; problem?: string } {
  if (!path.startsWith('/')) return { parts: [], problem: 'must start with "/"' };
  if (path === '/') return { parts: [] };
  const parts: TemplatePart[] = [];
  const segments = path.slice(1).split('/');
  for (const [i, segment] of segments.entries()) {
    const claim = CLAIM.exec(segment);
    if (claim) parts.push({ claim: claim[1]! });
    else if (segment === '' && i === segments.length - 1 && i > 0) parts.push({ literal: '' });
    else if (segment === '') return { parts, problem: 'must not contain an empty segment ("//")' };
    else if (/^\.+$/.test(segment)) return { parts, problem: 'must not contain "." or ".." segments' };
    else if (!LITERAL.test(segment)) return { parts, problem: `segment "${segment}" must be unreserved characters (A-Z a-z 0-9 - . _ ~) or a whole {claims.NAME}` };
    else parts.push({ literal: segment });
  }
  return { parts };
}

/**
 * A claim value as exactly one path segment: strings and numbers only (a list or object has no single
 * meaning), never empty, "." or ".." (dot segments are resolved by URL parsers, RFC 3986 §5.2.4, even
 * percent-encoded), and every byte outside the unreserved set percent-encoded, so "/" becomes %2F.
 */
export function encodeSegment(value: unknown): string | undefined {
  const text = typeof value === 'string' ? value : typeof value === 'number' && Number.isFinite(value) ? String(value) : undefined;
  if (text === undefined || text === '' || text === '.' || text === '..' || text.length > 256) return undefined;
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
