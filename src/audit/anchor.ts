/** Where the kept chain starts: row `firstId` must carry `prevHash` (read and moved by an AuditReader). */
export interface ChainAnchor {
  firstId: number;
  prevHash: string;
  /** When the rows before `firstId` were pruned; undefined for a log that was never pruned. */
  prunedAt: Date | undefined;
}
