import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { isFindingCode, type CarrierSide, type Finding, type OurSide, type StripeSide } from '../domain/reconciliation';

/** One run of the reconciliation: the window of fax changes it covers and what it came to. */
export interface ReconciliationReport {
  id: string;
  workflowId: string;
  windowFrom: Date;
  windowTo: Date;
  startedAt: Date;
  /** Null while the run is going (or if it never finished). */
  completedAt: Date | null;
  faxesChecked: number;
  findings: number;
}

export interface StoredFinding extends Finding {
  id: string;
  reconciliationId: string;
  createdAt: Date;
}

/** How a run chooses its window of fax changes. */
export interface WindowRule {
  /** How far back a run starts before the end of the last finished run's window. */
  overlapMs: number;
  /** Changes younger than this are left to the next run: a fax may be between two writes. */
  quietMs: number;
  /** The first run (no finished run before) goes back this far: the retention period. */
  firstRunMs: number;
}

interface ReportRow {
  id: string;
  workflow_id: string;
  window_from: Date;
  window_to: Date;
  started_at: Date;
  completed_at: Date | null;
  faxes_checked: number;
  findings: number;
}

interface FindingRow {
  id: string;
  reconciliation_id: string;
  fax_id: string;
  code: string;
  attempt: number;
  ours: OurSide;
  theirs: StripeSide | CarrierSide;
  created_at: Date;
}

const toReport = (r: ReportRow): ReconciliationReport => ({
  id: r.id,
  workflowId: r.workflow_id,
  windowFrom: r.window_from,
  windowTo: r.window_to,
  startedAt: r.started_at,
  completedAt: r.completed_at,
  faxesChecked: r.faxes_checked,
  findings: r.findings,
});

function toFinding(r: FindingRow): StoredFinding | null {
  // A code a later version no longer knows is left out rather than shown without words.
  if (!isFindingCode(r.code)) return null;
  return { id: String(r.id), reconciliationId: r.reconciliation_id, faxId: r.fax_id, code: r.code, attempt: r.attempt, ours: r.ours, theirs: r.theirs, createdAt: r.created_at };
}

const REPORT_COLUMNS = 'id, workflow_id, window_from, window_to, started_at, completed_at, faxes_checked, findings';

/**
 * The one home of `reconciliation` and `reconciliation_finding`: the runs of the daily
 * reconciliation and the inconsistencies each found. Every write is idempotent, so an
 * activity retried after a crash changes nothing twice.
 */
export class Reconciliations {
  constructor(private readonly db: DataSource) {}

  /**
   * The run of this workflow, opened now unless it was already: its window starts `overlapMs`
   * before the end of the last finished run's window (or `firstRunMs` ago) and ends
   * `quietMs` ago, by the database's clock, which also stamps the faxes' changes.
   */
  async open(workflowId: string, rule: WindowRule): Promise<ReconciliationReport> {
    await this.db.query(
      `INSERT INTO reconciliation (id, workflow_id, window_from, window_to)
       SELECT $1, $2,
              LEAST(COALESCE((SELECT max(window_to) FROM reconciliation WHERE completed_at IS NOT NULL) - make_interval(secs => $3::double precision / 1000),
                             now() - make_interval(secs => $5::double precision / 1000)),
                    now() - make_interval(secs => $4::double precision / 1000)),
              now() - make_interval(secs => $4::double precision / 1000)
       ON CONFLICT (workflow_id) DO NOTHING`,
      [randomUUID(), workflowId, rule.overlapMs, rule.quietMs, rule.firstRunMs],
    );
    const rows: ReportRow[] = await this.db.query(`SELECT ${REPORT_COLUMNS} FROM reconciliation WHERE workflow_id = $1`, [workflowId]);
    return toReport(rows[0]);
  }

  async get(id: string): Promise<ReconciliationReport | null> {
    const rows: ReportRow[] = await this.db.query(`SELECT ${REPORT_COLUMNS} FROM reconciliation WHERE id = $1`, [id]);
    return rows[0] ? toReport(rows[0]) : null;
  }

  /** Records findings; returns those not recorded before (a retried page finds its own again). */
  async addFindings(reconciliationId: string, findings: Finding[]): Promise<Finding[]> {
    if (!findings.length) return [];
    const rows: Array<{ fax_id: string; code: string; attempt: number }> = await this.db.query(
      `WITH added AS (
         INSERT INTO reconciliation_finding (reconciliation_id, fax_id, code, attempt, ours, theirs)
         SELECT $1, f.fax_id, f.code, f.attempt, f.ours, f.theirs
           FROM jsonb_to_recordset($2::jsonb) AS f(fax_id uuid, code text, attempt int, ours jsonb, theirs jsonb)
         ON CONFLICT ON CONSTRAINT reconciliation_finding_once DO NOTHING
         RETURNING fax_id, code, attempt)
       SELECT fax_id, code, attempt FROM added`,
      [reconciliationId, JSON.stringify(findings.map((f) => ({ fax_id: f.faxId, code: f.code, attempt: f.attempt, ours: f.ours, theirs: f.theirs })))],
    );
    const added = new Set(rows.map((r) => `${r.fax_id}/${r.code}/${r.attempt}`));
    return findings.filter((f) => added.has(`${f.faxId}/${f.code}/${f.attempt}`));
  }

  /** Ends the run (the first end counts), with the number of faxes it checked and of findings recorded. */
  async close(id: string, faxesChecked: number): Promise<ReconciliationReport> {
    await this.db.query(
      `UPDATE reconciliation SET completed_at = COALESCE(completed_at, now()), faxes_checked = $2,
              findings = (SELECT count(*) FROM reconciliation_finding WHERE reconciliation_id = $1)
        WHERE id = $1`,
      [id, faxesChecked],
    );
    const report = await this.get(id);
    if (!report) throw new Error(`reconciliation ${id} has no record`);
    return report;
  }

  /** The latest runs, newest first. */
  async latest(limit: number): Promise<ReconciliationReport[]> {
    const rows: ReportRow[] = await this.db.query(`SELECT ${REPORT_COLUMNS} FROM reconciliation ORDER BY started_at DESC, id LIMIT $1`, [limit]);
    return rows.map(toReport);
  }

  /** A fax's findings recorded since `since` (its last change: older ones may be settled), newest first. */
  async findingsForFax(faxId: string, since: Date, limit: number): Promise<StoredFinding[]> {
    const rows: FindingRow[] = await this.db.query(
      `SELECT id, reconciliation_id, fax_id, code, attempt, ours, theirs, created_at FROM reconciliation_finding
        WHERE fax_id = $1 AND created_at >= $2 ORDER BY id DESC LIMIT $3`,
      [faxId, since, limit],
    );
    return rows.map(toFinding).filter((f): f is StoredFinding => f !== null);
  }

  /** The findings of these runs, by fax then attempt, at most `limit` per run. */
  async findingsOf(reconciliationIds: string[], limit: number): Promise<StoredFinding[]> {
    if (!reconciliationIds.length) return [];
    const rows: FindingRow[] = await this.db.query(
      `SELECT id, reconciliation_id, fax_id, code, attempt, ours, theirs, created_at FROM (
         SELECT *, row_number() OVER (PARTITION BY reconciliation_id ORDER BY id) AS n
           FROM reconciliation_finding WHERE reconciliation_id = ANY($1::uuid[])) f
        WHERE n <= $2 ORDER BY id`,
      [reconciliationIds, limit],
    );
    return rows.map(toFinding).filter((f): f is StoredFinding => f !== null);
  }
}
