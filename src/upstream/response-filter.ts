/**
 * A route's response-field allow-list, applied to a parsed JSON answer. Pure. Paths are dot-separated
 * (`advisor.email`); a path that meets an array applies to each item, so `enrollments.course` keeps the
 * `course` of every enrollment. Anything not named is dropped, including fields the upstream adds later.
 */

type FieldTree = Map<string, FieldTree | true>;

function buildTree(paths: readonly string[]): FieldTree {
  const root: FieldTree = new Map();
  for (const path of paths) {
    let node = root;
    const keys = path.split('.');
    for (const [i, key] of keys.entries()) {
      const existing = node.get(key);
      if (existing === true) break; // a shorter path already keeps the whole value
      if (i === keys.length - 1) {
        node.set(key, true);
        break;
      }
      const child: FieldTree = existing ?? new Map();
      node.set(key, child);
      node = child;
    }
  }
  return root;
}

function apply(value: unknown, tree: FieldTree): unknown {
  if (Array.isArray(value)) return value.map((item) => apply(item, tree)).filter((item) => item !== undefined);
  if (value === null || typeof value !== 'object') return undefined;
  const entries: [string, unknown][] = [];
  for (const [key, sub] of tree) {
    if (!Object.prototype.hasOwnProperty.call(value, key)) continue;
    const field = (value as Record<string, unknown>)[key];
    const kept = sub === true ? field : apply(field, sub);
    if (kept !== undefined) entries.push([key, kept]);
  }
  // fromEntries defines own properties, so a field named "__proto__" stays data and never becomes a prototype.
  return Object.fromEntries(entries);
}

/** Keeps only the allowed fields of a JSON value (an object, or an array of objects). */
export function pickFields(value: unknown, paths: readonly string[]): unknown {
  return apply(value, buildTree(paths)) ?? {};
}
