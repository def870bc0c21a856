import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startCheckpointer, type Checkpointer } from './checkpointer.js';
import { openDatabase, type AppDatabase } from './client.js';
import { revokedTokens } from './schema/revoked-tokens.js';

let dir: string;
let database: AppDatabase;
let checkpointer: Checkpointer | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'campus-sts-checkpoint-'));
  database = openDatabase({ path: join(dir, 'sts.sqlite') });
});
afterEach(() => {
  checkpointer?.stop();
  database.close();
  rmSync(dir, { recursive: true, force: true });
});

const size = () => statSync(join(dir, 'sts.sqlite')).size;
// Raw rows in one plain transaction: the checkpointer is about pages in the WAL, not how rows got there.
const write = (n: number) =>
  database.sqlite.transaction(() => {
    for (let i = 0; i < n; i++) database.db.insert(revokedTokens).values({ jti: `${Math.random()}-${i}`.padEnd(200, 'x'), clientId: 'c', revokedAt: new Date(0), expiresAt: new Date(1) }).run();
  })();
const eventually = async (check: () => boolean, ms = 5000) => {
  for (const end = Date.now() + ms; Date.now() < end; ) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return check();
};

// ~2000 rows of ~250 bytes: about 150 pages, far below any automatic checkpoint threshold (1000, or 10 000).
const ROWS = 2000;

describe('background WAL checkpoints', () => {
  it('copies committed pages into the database file from its worker', async () => {
    checkpointer = startCheckpointer(database.sqlite, 20);
    expect(database.sqlite.pragma('wal_autocheckpoint', { simple: true })).toBe(10_000);
    const before = size();
    write(ROWS);
    expect(await eventually(() => size() > before + 400_000)).toBe(true);
  });

  it('stops with its connection closed, so the service connection closes last and removes the WAL', async () => {
    checkpointer = startCheckpointer(database.sqlite, 20);
    write(ROWS);
    await new Promise((r) => setTimeout(r, 100));
    checkpointer.stop();
    database.close();
    expect(readdirSync(dir)).toEqual(['sts.sqlite']);
    database = openDatabase({ path: join(dir, 'sts.sqlite') });
    expect(database.db.select().from(revokedTokens).all()).toHaveLength(ROWS);
  });

  it('without it, the same commits stay in the WAL (so the worker did the copying above)', async () => {
    const before = size();
    write(ROWS);
    await new Promise((r) => setTimeout(r, 300));
    expect(size()).toBe(before);
  });
});
