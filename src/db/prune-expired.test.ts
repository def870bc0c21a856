import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { fixedClock } from '../core/clock.js';
import { openDatabase, type AppDatabase } from './client.js';
import { createGroupCommitter } from './group-commit.js';
import { pruneExpired } from './prune-expired.js';
import { revokedTokens } from './schema/revoked-tokens.js';
import { usedClientAssertions } from './schema/used-client-assertions.js';

let dir: string;
let database: AppDatabase;
afterEach(() => {
  database.close();
  rmSync(dir, { recursive: true, force: true });
});

it('removes only rows whose values have expired', async () => {
  dir = mkdtempSync(join(tmpdir(), 'campus-sts-prune-'));
  database = openDatabase({ path: join(dir, 'db.sqlite') });
  const clock = fixedClock('2026-11-23T10:00:00Z');
  const past = new Date('2026-11-23T09:59:59Z');
  const future = new Date('2026-11-23T10:00:01Z');
  database.db.insert(revokedTokens).values([
    { jti: 'old', clientId: 'c', revokedAt: past, expiresAt: past },
    { jti: 'live', clientId: 'c', revokedAt: past, expiresAt: future },
  ]).run();
  database.db.insert(usedClientAssertions).values({ key: 'k', clientId: 'c', expiresAt: past }).run();
  expect(await pruneExpired(createGroupCommitter(database.db), clock)).toBe(2);
  expect(database.db.select().from(revokedTokens).all().map((r) => r.jti)).toEqual(['live']);
});
