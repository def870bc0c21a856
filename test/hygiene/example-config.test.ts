import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { configSchema } from '../../src/config/schema.js';

/**
 * `campus-sts.example.yaml` is the documentation of the configuration: every key the schema accepts must be
 * written there as `key:` (set, or commented out with its default). A key added to the schema without a line in
 * the example fails here, named by its path.
 */
const example = readFileSync(join(import.meta.dirname, '..', '..', 'campus-sts.example.yaml'), 'utf8');

/** Every object key reachable in `schema`, as paths like `upstreams[].routes[].scope`. */
function keyPaths(schema: z.core.$ZodType, path: string, out: Set<string>): Set<string> {
  const def = (schema as z.core.$ZodTypes)._zod.def;
  switch (def.type) {
    case 'object':
      for (const [key, value] of Object.entries(def.shape)) {
        const at = path ? `${path}.${key}` : key;
        out.add(at);
        keyPaths(value, at, out);
      }
      break;
    case 'array':
      keyPaths(def.element, `${path}[]`, out);
      break;
    case 'record':
      keyPaths(def.valueType, `${path}.<name>`, out);
      break;
    case 'union':
      for (const option of def.options) keyPaths(option, path, out);
      break;
    case 'intersection':
      keyPaths(def.left, path, out);
      keyPaths(def.right, path, out);
      break;
    case 'pipe':
      keyPaths(def.in, path, out);
      break;
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'catch':
    case 'readonly':
    case 'nonoptional':
      keyPaths(def.innerType, path, out);
      break;
    case 'lazy':
      keyPaths(def.getter(), path, out);
      break;
  }
  return out;
}

/** Keys that are data, not options: a JWK's own members (RFC 7517). */
const DATA = [/^clients\[\]\.auth\.jwks\.keys\[\]\./];

/** A top-level key written at column 0, set or commented out (`# key:`). */
const topLevel = (key: string) => new RegExp(`^(?:# ?)?${key}:`, 'm').exec(example);

/** The lines of one top-level section: from its key to the next top-level key (set or commented out). */
function section(key: string): string {
  const start = topLevel(key);
  if (!start) return '';
  const rest = example.slice(start.index + start[0].length);
  const next = /^(?:# ?)?[a-z_]+:/m.exec(rest);
  return next ? rest.slice(0, next.index) : rest;
}

describe('campus-sts.example.yaml', () => {
  const paths = [...keyPaths(configSchema, '', new Set())];

  it('walks the whole schema (nested objects, unions, arrays)', () => {
    expect(paths).toEqual(expect.arrayContaining(['issuer', 'server.max_connections', 'upstreams[].routes[].response_fields', 'idps[].metadata.aggregate.url']));
  });

  it('documents every key of the schema, within its top-level section', () => {
    const missing = paths.filter((p) => {
      if (DATA.some((d) => d.test(p))) return false;
      const key = p.slice(p.lastIndexOf('.') + 1).replace(/\[\]$/, '');
      if (key === '<name>') return false;
      const top = /^[a-z_]+/.exec(p)![0];
      return top === p ? !topLevel(top) : !new RegExp(`(?:^|[\\s{,#])${key}:`, 'm').test(section(top));
    });
    expect(missing).toEqual([]);
  });
});
