import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createBulkhead, inSlot } from './bulkhead.js';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

/** Records each entry's verdict as it settles. */
function track(entries: Record<string, Promise<string>>): Record<string, string> {
  const seen: Record<string, string> = {};
  for (const [name, p] of Object.entries(entries)) void p.then((v) => (seen[name] = v));
  return seen;
}

describe('bulkhead', () => {
  it('admits up to its slots, queues up to maxWaiting in arrival order, refuses the next at once', async () => {
    const b = createBulkhead({ slots: 1, maxWaiting: 2, deadlineMs: 1000 });
    expect(await b.enter()).toBe('admitted');
    const seen = track({ a: b.enter(), b: b.enter(), c: b.enter() });
    await vi.advanceTimersByTimeAsync(0);
    expect(seen).toEqual({ c: 'full' });
    expect(b.state()).toEqual({ active: 1, waiting: 2 });
    b.leave();
    await vi.advanceTimersByTimeAsync(0);
    expect(seen).toEqual({ a: 'admitted', c: 'full' });
    b.leave();
    await vi.advanceTimersByTimeAsync(0);
    expect(seen).toEqual({ a: 'admitted', b: 'admitted', c: 'full' });
    b.leave();
    expect(b.state()).toEqual({ active: 0, waiting: 0 });
  });

  it('says it is full exactly when a new entry would be refused at once', async () => {
    const b = createBulkhead({ slots: 1, maxWaiting: 1, deadlineMs: 1000 });
    expect(b.full()).toBe(false);
    await b.enter();
    expect(b.full()).toBe(false);
    const seen = track({ waits: b.enter() });
    expect(b.full()).toBe(true);
    expect(await b.enter()).toBe('full');
    b.leave();
    await vi.advanceTimersByTimeAsync(0);
    expect(seen).toEqual({ waits: 'admitted' });
    expect(b.full()).toBe(false);
  });

  it('refuses a waiter at its deadline and forgets it', async () => {
    const b = createBulkhead({ slots: 1, maxWaiting: 1, deadlineMs: 500 });
    await b.enter();
    const seen = track({ late: b.enter() });
    await vi.advanceTimersByTimeAsync(499);
    expect(seen).toEqual({});
    await vi.advanceTimersByTimeAsync(1);
    expect(seen).toEqual({ late: 'deadline' });
    expect(b.state()).toEqual({ active: 1, waiting: 0 });
    b.leave();
    expect(b.state()).toEqual({ active: 0, waiting: 0 });
  });

  it('puts a priority entry ahead of the others, in the newest other one\'s place when the line is full', async () => {
    const b = createBulkhead({ slots: 1, maxWaiting: 2, deadlineMs: 1000 });
    await b.enter();
    const seen = track({ old: b.enter(), newer: b.enter(), urgent: b.enter(true) });
    await vi.advanceTimersByTimeAsync(0);
    expect(seen).toEqual({ newer: 'full' });
    b.leave();
    await vi.advanceTimersByTimeAsync(0);
    expect(seen).toEqual({ newer: 'full', urgent: 'admitted' });
    // `old` still waits; two more priority entries: the second takes its place, a third finds only priority ones.
    const more = track({ p1: b.enter(true), p2: b.enter(true), p3: b.enter(true) });
    await vi.advanceTimersByTimeAsync(0);
    expect(seen).toEqual({ newer: 'full', urgent: 'admitted', old: 'full' });
    expect(more).toEqual({ p3: 'full' });
    b.leave();
    await vi.advanceTimersByTimeAsync(0);
    expect(more).toEqual({ p1: 'admitted', p3: 'full' });
  });

  it('inSlot releases the slot when the work fails, and throws the refusal it is given', async () => {
    const b = createBulkhead({ slots: 1, maxWaiting: 0, deadlineMs: 1000 });
    await expect(inSlot(b, () => Promise.reject(new Error('boom')), () => new Error('refused'))).rejects.toThrow('boom');
    expect(b.state()).toEqual({ active: 0, waiting: 0 });
    const held = inSlot(b, () => new Promise((r) => setTimeout(r, 100)), () => new Error('refused'));
    await expect(inSlot(b, async () => 1, (why) => new Error(`refused: ${why}`))).rejects.toThrow('refused: full');
    await vi.advanceTimersByTimeAsync(100);
    await held;
    expect(b.state()).toEqual({ active: 0, waiting: 0 });
  });
});
