// Small SQL helpers shared by the read-only queries of the checkpoint.
import type Database from 'better-sqlite3';

/** The single number a `SELECT count(*) ...` answers; 0 for no row. */
export function count(db: Database.Database, sql: string): number {
  return (db.prepare(sql).pluck().get() as number | null) ?? 0;
}

/** Read-only opens do not migrate, so an older checkpoint may lack a table a newer schema added. */
export function hasTable(db: Database.Database, name: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").pluck().get(name) !== undefined;
}
