import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixedClock } from '../core/clock.js';
import { openDatabase, type Db } from './client.js';
import { createGroupCommitter, type GroupCommitter } from './group-commit.js';

/** What a store contract suite gets from an engine: the store, the one way to write, and the clock it reads. */
export interface StoreHarness<S> {
  store: S;
  commit: GroupCommitter['commit'];
  clock: ReturnType<typeof fixedClock>;
  close(): Promise<void> | void;
}

export type MakeStore<S> = () => Promise<StoreHarness<S>>;

export const CONTRACT_START = '2026-11-23T10:00:00.000Z';

/** The SQLite engine for a contract suite: a real database file in a fresh folder, and its group committer. */
export function sqliteHarness<S>(build: (db: Db, clock: StoreHarness<S>['clock'], committer: GroupCommitter) => S): MakeStore<S> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'campus-sts-contract-'));
    const database = openDatabase({ path: join(dir, 'sts.sqlite') });
    const committer = createGroupCommitter(database.db, { check: database.checkFile });
    const clock = fixedClock(CONTRACT_START);
    return {
      store: build(database.db, clock, committer),
      commit: committer.commit,
      clock,
      close() {
        database.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  };
}
