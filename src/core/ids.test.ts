import { describe, expect, it } from 'vitest';
import { timeOrderedId } from './ids.js';

describe('timeOrderedId', () => {
  it('is an RFC 9562 version 7 UUID carrying the current Unix milliseconds', () => {
    const before = Date.now();
    const id = timeOrderedId();
    const after = Date.now();
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const ms = parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
    expect(ms).toBeGreaterThanOrEqual(before);
    expect(ms).toBeLessThanOrEqual(after);
  });

  it('sorts later ids after earlier ones (by millisecond) and never repeats', async () => {
    const first = Array.from({ length: 1000 }, timeOrderedId);
    await new Promise((r) => setTimeout(r, 2));
    const second = Array.from({ length: 1000 }, timeOrderedId);
    expect(new Set([...first, ...second]).size).toBe(2000);
    expect(first.every((a) => second.every((b) => a < b))).toBe(true);
  });
});
