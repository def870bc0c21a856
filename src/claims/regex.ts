/**
 * Regular expressions of claim rules: RE2 syntax and linear-time matching (re2js, a port of RE2), so no pattern
 * and no attribute value can make a match backtrack for long. Patterns are compiled once and kept (a rule's
 * patterns are constants; the cache is bounded for the rare computed one).
 */
import { RE2JS } from 're2js';

const CACHE_LIMIT = 256;
const cache = new Map<string, RE2JS>();

/** The compiled pattern, or why it is not RE2 (`problem`). */
export function compileRegex(pattern: string): { regex?: RE2JS; problem?: string } {
  const hit = cache.get(pattern);
  if (hit) return { regex: hit };
  try {
    const regex = RE2JS.compile(pattern);
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
    cache.set(pattern, regex);
    return { regex };
  } catch (err) {
    return { problem: err instanceof Error ? err.message : String(err) };
  }
}

function regexOf(pattern: string): RE2JS {
  const { regex, problem } = compileRegex(pattern);
  if (!regex) throw new Error(`not an RE2 regular expression: ${problem}`);
  return regex;
}

/** CEL `matches`: the pattern matches somewhere in `text` (anchor it with ^…$ for a whole match). */
export const regexFinds = (pattern: string, text: string): boolean => regexOf(pattern).matcher(text).find();

/** `text.extract(pattern)`: the first capture group of the first match (the whole match without a group); "" when none. */
export function regexExtract(pattern: string, text: string): string {
  const m = regexOf(pattern).matcher(text);
  if (!m.find()) return '';
  return (m.groupCount() > 0 ? m.group(1) : m.group(0)) ?? '';
}
