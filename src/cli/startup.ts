import { existsSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import type { Config } from '../config/schema.js';
import { SP_KEY_FILES } from '../saml/sp-keys.js';

/** A start that failed: one line saying what to do (printed by runCli, exit 1). */
export class StartupError extends Error {}

/**
 * What a start creates on disk, so that a failed start leaves nothing half-created (a database without its
 * first key, a generated master key nobody will use). Noted before the start: the paths that do not exist yet
 * (or their highest missing folder), and the entries of folders the start owns (the demo's data folder).
 */
export interface StartupLedger {
  /** These paths, if they do not exist now. A database's -wal and -shm go with it (only when the file is new). */
  files(paths: string[]): void;
  /** Entries that appear in this folder (the folder itself if new). Only for a folder the start owns. */
  folder(path: string): void;
  /** Removes everything noted that did not exist before. */
  rollback(): void;
}

export function startupLedger(): StartupLedger {
  const created: string[] = [];
  const owned: { path: string; before: Set<string> }[] = [];
  /** The path itself or, when its folder is missing too, the highest missing folder: what the start would create. */
  const missingTop = (path: string): string | undefined => {
    let top: string | undefined;
    for (let p = resolve(path); !existsSync(p); p = dirname(p)) top = p;
    return top;
  };
  return {
    files(paths) {
      for (const p of paths) {
        const top = missingTop(p);
        if (top) created.push(top);
        if (top === resolve(p)) created.push(`${top}-wal`, `${top}-shm`);
      }
    },
    folder(path) {
      const top = missingTop(path);
      if (top) created.push(top);
      else owned.push({ path, before: new Set(readdirSync(path)) });
    },
    rollback() {
      for (const { path, before } of owned) {
        for (const entry of readdirSync(path)) if (!before.has(entry)) rmSync(join(path, entry), { recursive: true, force: true });
      }
      for (const p of created) rmSync(p, { recursive: true, force: true });
    },
  };
}

/** Notes what starting with `config` may create: the database and the SAML SP key pairs. */
export function noteConfigFiles(ledger: StartupLedger, config: Config): void {
  ledger.files([config.database.path, ...Object.values(SP_KEY_FILES).map((f) => join(config.saml.keys_dir, f))]);
}

/** One line for a failure of the start itself (the operating system's or SQLite's), saying what to do. */
export function describeStartupFailure(err: unknown, config: Config): StartupError | undefined {
  const e = err as NodeJS.ErrnoException;
  const where = `${config.server.host}:${config.server.port}`;
  if (e.syscall === 'listen' || e.syscall === 'bind') {
    if (e.code === 'EADDRINUSE') return new StartupError(`cannot listen on ${where}: the address is already in use (stop the other process, or set server.port or PORT)`);
    if (e.code === 'EACCES') return new StartupError(`cannot listen on ${where}: permission denied (ports below 1024 need privileges; set server.port or PORT)`);
    return new StartupError(`cannot listen on ${where}: ${e.code ?? e.message} (check server.host / HOST and server.port / PORT)`);
  }
  if (e.path && e.code) return new StartupError(`cannot write ${e.path} (${e.code}): make its folder writable by this user`);
  if (err instanceof Database.SqliteError) return new StartupError(`the database at ${config.database.path} failed (${err.code}): ${err.message}`);
  return undefined;
}
