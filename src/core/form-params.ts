import { InvalidRequest } from './oauth-errors.js';

/**
 * Parsed `application/x-www-form-urlencoded` parameters with the RFC 6749 §3.1 rules built in:
 * a parameter sent without a value is treated as omitted, and a parameter MUST NOT be sent more than once
 * (except those a grant declares repeatable, read with `all`).
 */
export interface FormParams {
  /** The one value of `name`, or undefined; two values is invalid_request. */
  single(name: string): string | undefined;
  /** Every non-empty value of a repeatable parameter (RFC 8693 `audience`, `resource`). */
  all(name: string): string[];
  names(): string[];
}

const MAX_PARAMS = 64;

export function parseForm(body: string): FormParams {
  const values = new Map<string, string[]>();
  let count = 0;
  for (const [name, value] of new URLSearchParams(body)) {
    if (++count > MAX_PARAMS) throw new InvalidRequest('too many parameters');
    if (value === '') continue;
    const list = values.get(name);
    if (list) list.push(value);
    else values.set(name, [value]);
  }
  return {
    single(name) {
      const list = values.get(name);
      if (list && list.length > 1) throw new InvalidRequest(`parameter ${name} is included more than once`);
      return list?.[0];
    },
    all: (name) => values.get(name) ?? [],
    names: () => [...values.keys()],
  };
}
