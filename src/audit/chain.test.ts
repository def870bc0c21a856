import { describe, expect, it } from 'vitest';
import { GENESIS_HASH, hashRow, verifyChain, type ChainedRow } from './chain.js';
import { walkChain } from './verify-log.js';

/** A valid chain of `n` rows starting at `firstId` after `anchor`. Pure helper. */
function chain(n: number, firstId = 1, anchor = GENESIS_HASH) {
  const rows: (ChainedRow & { hash: string })[] = [];
  let prev = anchor;
  for (let i = 0; i < n; i++) {
    const row: ChainedRow = { id: firstId + i, at: new Date(Date.UTC(2026, 10, 23, 10, 0, i)), event: 'token.issue', outcome: 'success', requestId: `r${i}`, clientId: 'alpha', subject: null, audience: null, scope: null, jti: `j${i}`, reason: null, data: '{}', prevHash: prev };
    const hash = hashRow(row);
    rows.push({ ...row, hash });
    prev = hash;
  }
  return rows;
}

describe('verifyChain from an anchor', () => {
  it('accepts a chain that starts at its anchor', () => {
    const rows = chain(3, 10, 'a'.repeat(64));
    expect(verifyChain(rows, 'a'.repeat(64), 10)).toEqual({ ok: true, rows: 3, lastId: 12, headHash: rows[2]!.hash });
  });

  it('names rows missing at the start, and rows before the start', () => {
    const rows = chain(4, 10, 'a'.repeat(64));
    expect(verifyChain(rows.slice(1), rows[0]!.hash, 10)).toEqual({ ok: false, rows: 0, badRowId: 11, problem: 'the chain starts at row 10 but the first row is 11: rows 10..10 are missing' });
    expect(verifyChain(rows, 'a'.repeat(64), 11)).toEqual({ ok: false, rows: 0, badRowId: 10, problem: 'row 10 lies before the start of the chain (row 11)' });
  });

  it('keeps the two-argument behaviour for a never-pruned log', () => {
    const rows = chain(3);
    expect(verifyChain(rows)).toMatchObject({ ok: true, rows: 3 });
    expect(verifyChain(rows.slice(1))).toMatchObject({ ok: false, badRowId: 2 });
  });
});

describe('walkChain with checkpoints and the prune anchor', () => {
  const at = (rows: ReturnType<typeof chain>) => rows.map((r) => ({ ...r, outcome: r.outcome as 'success' }));
  it('checks each checkpoint against its row, and reports one beyond the end as a truncated tail', () => {
    const rows = at(chain(5));
    const ok = walkChain(rows, { firstId: 1, prevHash: GENESIS_HASH }, [{ label: 'cp', lastId: 3, headHash: rows[2]!.hash }]);
    expect(ok).toMatchObject({ checked: 1, problems: [] });
    const wrong = walkChain(rows, { firstId: 1, prevHash: GENESIS_HASH }, [{ label: 'cp', lastId: 3, headHash: 'b'.repeat(64) }]);
    expect(wrong.problems).toEqual(['cp: row 3 no longer has the hash that was signed']);
    const beyond = walkChain(rows.slice(0, 2), { firstId: 1, prevHash: GENESIS_HASH }, [{ label: 'cp', lastId: 3, headHash: rows[2]!.hash }]);
    expect(beyond.problems).toEqual(['cp: the log ends at row 2, so rows up to 3 were removed (tail truncated)']);
  });

  it('checks a checkpoint of the last pruned row against the anchor, and skips older ones', () => {
    const all = at(chain(6));
    const kept = all.slice(3);
    const anchor = { firstId: 4, prevHash: all[2]!.hash, stored: true };
    const prune = { ...kept[0]!, event: 'audit.prune', data: JSON.stringify({ first_kept_id: 4, anchor_hash: all[2]!.hash }) };
    const rows = [{ ...prune, hash: hashRow(prune) }];
    const r = walkChain(rows, anchor, [
      { label: 'old', lastId: 1, headHash: all[0]!.hash },
      { label: 'edge', lastId: 3, headHash: all[2]!.hash },
    ]);
    expect(r).toMatchObject({ checked: 1, skipped: 1, problems: [] });
    const moved = walkChain(rows, anchor, [{ label: 'edge', lastId: 3, headHash: 'c'.repeat(64) }]);
    expect(moved.problems).toEqual(['edge: the anchor does not match the pruned row it vouches for']);
  });
});
