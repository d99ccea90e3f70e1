/**
 * What `vigil hunt` prints when the input ends: the Splunk-style detections' result rows, and the
 * risk both kinds of rule raised (risk events per entity, notables, risk incidents, the entities
 * ranked by risk). In the table format this part is printed first (the Sigma findings are held
 * back in a temporary file meanwhile); in JSONL and CSV it follows the streamed findings; the HTML
 * report is written here from everything, the findings read back from their temporary file.
 */
import { formatDiagnostic, type Diagnostic } from '../../core/diagnostics.js';
import type { VigilEvent } from '../../core/event.js';
import {
  defaultAttackCatalog,
  evaluateIncidentRules,
  eventsByEntity,
  rankEntities,
  bareUserName,
  riskFromRuns,
  type EntityRisk,
  type IncidentRule,
  type Notable,
  type RankedRisk,
  type RiskNotable,
} from '../../risk/index.js';
import type { Level } from '../../ir/nodes.js';
import { severityForScore } from '../../risk/index.js';
import { cell, clip, csvTime, fitLine, PLAIN_TABLE, type HuntFormat, type TableStyle } from './finding-format.js';
import { formatTime, timeZoneName, type TimeZoneSpec } from '../output/time-format.js';
import { isoOf, rowHost, type DetectionRecord } from './detection-record.js';
import { csvRowLine, detectionCsvRow } from './finding-csv.js';
import type { Spill } from '../output/spill.js';
import type { ObserverInWorkers } from './hunt-run.js';
import { itemOfDetection, itemOfHeld, LineSplitter, ReportCollector } from '../report/report-collect.js';
import type { HeldFinding } from '../report/held-finding.js';
import { writeHtmlReport } from '../report/html-report.js';
import { rowSummary, rowTime, type SplunkHunt, type SplunkHuntTotals } from './splunk-hunt.js';
import { assertNever } from '../../core/xml-tree.js';
import { HeldRisk, type EncodedRisk } from './held-risk.js';
import { ByteLines } from '../output/byte-lines.js';
import { tmpdir } from 'node:os';

/** Risk events kept for ranking; past this they are counted, not kept (memory stays bounded). */
export const MAX_RISK_EVENTS = 1_000_000;

export interface RiskTotals {
  readonly riskEvents: number;
  readonly fromDetections: number;
  readonly fromSigma: number;
  readonly dropped: number;
  readonly notables: number;
  readonly incidents: number;
  readonly entities: number;
}

export interface HuntEndTotals {
  readonly detections: SplunkHuntTotals | null;
  readonly risk: RiskTotals | null;
}

export interface HuntEndOptions {
  /** Turn findings and result rows into risk (default true). */
  readonly risk: boolean;
  /** Entities listed in the table (all of them in JSONL). */
  readonly topEntities: number;
  readonly quiet: boolean;
  readonly report: (line: string) => void;
  /** The user's incident rules (default: mappings/risk/incident-rules.yml). */
  readonly incidentRules?: readonly IncidentRule[];
  /** Colour and terminal width of the table (default: plain, fixed width). */
  readonly tableStyle?: TableStyle;
}

type Write = (chunk: string | Uint8Array) => Promise<boolean>;

function shortIso(t: number, tz?: TimeZoneSpec): string {
  const iso = isoOf(Math.floor(t));
  if (tz !== undefined && tz.kind !== 'utc') return formatTime(iso, tz, { precision: 'seconds', separator: ' ', omitOffset: true });
  return iso.replace('T', ' ').replace('Z', '');
}

/** The TIME header names the zone when it is not UTC (the cells carry no offset). */
function timeHead(tz?: TimeZoneSpec): string {
  return tz !== undefined && tz.kind !== 'utc' ? `TIME (${timeZoneName(tz)})` : 'TIME';
}

export class HuntEnd {
  /** Sigma findings' risk events: JSON on disk, lean copies in memory (see held-risk.ts). */
  private sigmaRisk: HeldRisk | null = null;
  private dropped = 0;
  private totalsCache: RiskTotals | null = null;
  private readonly warned = new Set<string>();

  constructor(
    private readonly splunk: SplunkHunt | null,
    private readonly format: HuntFormat,
    private readonly options: HuntEndOptions,
  ) {}

  /** The table opens with the end-of-run part; JSONL streams findings first. */
  get printsFirst(): boolean {
    return this.format === 'table';
  }

  /** The HTML report is built here from the held findings; they are not printed as they come. */
  get takesFindings(): boolean {
    return this.format === 'html';
  }


  /** Each distinct warning once (risk problems repeat per row). */
  private readonly warn = (d: Diagnostic): void => {
    const key = `${d.code}|${d.message}`;
    if (this.warned.has(key) || this.options.quiet) return;
    this.warned.add(key);
    this.options.report(`vigil hunt: ${formatDiagnostic(d)}`);
  };

  readonly observe = (event: VigilEvent): void => {
    this.splunk?.observe(event);
  };

  /**
   * `observe` in the form the hunt workers can run too (null without detections): each thread
   * keeps a file's rows apart and the run merges them in input order before `atEnd`.
   */
  observerInWorkers(): ObserverInWorkers | null {
    const splunk = this.splunk;
    if (splunk === null) return null;
    const heads = splunk.localHeads();
    return { config: splunk.headsConfig(), observe: heads.observe, take: heads.take, merge: splunk.addKept, warn: splunk.warn };
  }

  /** Sigma findings' risk events, from the main thread or from hunt workers. */
  readonly onRisk = (events: readonly EncodedRisk[]): void => {
    if (events.length === 0) return;
    const held = (this.sigmaRisk ??= HeldRisk.create({
      warn: (message) => this.warn({ severity: 'warning', code: 'hunt.risk-temp-file', message, location: { file: tmpdir() } }),
    }));
    for (const e of events) {
      if (held.size >= MAX_RISK_EVENTS) this.dropped++;
      else held.add(e);
    }
  };

  get sigmaRiskEnabled(): boolean {
    return this.options.risk;
  }

  /**
   * Removes what the run held on disk. The caller's job once the run is over, whether or not
   * `atEnd` ran (it does not when the output closed early).
   */
  discard(): void {
    this.sigmaRisk?.discard();
  }

  readonly atEnd = async (write: Write, held?: Spill, released?: () => boolean): Promise<void> => {
    const records = this.splunk?.finish() ?? [];
    let notables: Notable[] = [];
    let riskEvents: RankedRisk[] = [];
    let incidents: RiskNotable[] = [];
    let entities: EntityRisk[] = [];
    let fromDetections = 0;
    if (this.options.risk) {
      const fromRuns = riskFromRuns(this.splunk?.runs ?? [], { attack: defaultAttackCatalog(), warn: this.warn });
      notables = fromRuns.notables;
      fromDetections = fromRuns.events.length;
      // One spelling per person across Sigma and Splunk-style risk (no identity lookup here):
      // `CORP\alice` and `alice@corp` count as `alice`, as the Sigma side already writes them.
      riskEvents = fromRuns.events.map((e) => (e.risk_object_type === 'user' ? { ...e, risk_object: bareUserName(e.risk_object) } : e));
      // Sigma findings' risk arrives in file order on one thread and interleaved with workers:
      // put it in an order of its own first, so every thread count prints the same records.
      for (const e of this.sigmaRisk?.sorted() ?? []) riskEvents.push(e);
      riskEvents.sort((a, b) => a._time - b._time);
      const groups = eventsByEntity(riskEvents);
      incidents = evaluateIncidentRules(riskEvents, this.options.incidentRules, groups);
      entities = rankEntities(riskEvents, groups);
    }
    this.totalsCache = {
      riskEvents: riskEvents.length,
      fromDetections,
      fromSigma: this.sigmaRisk?.size ?? 0,
      dropped: this.dropped,
      notables: notables.length,
      incidents: incidents.length,
      entities: entities.length,
    };
    switch (this.format) {
      case 'jsonl': {
        // Assembled as bytes: most of a held risk event's line is copied from its stored UTF-8.
        // A buffer the output is done with is filled again: fresh megabytes for each of the
        // hundreds a large run prints cost more in page faults than the copying into them.
        const out = new ByteLines();
        const written = async (all = false): Promise<boolean> => {
          for (const piece of out.take(all)) {
            if (!(await write(piece))) return false;
            if (released?.() === true) out.reuse(piece);
          }
          return true;
        };
        const line = async (text: string): Promise<boolean> => {
          out.text(text);
          out.newline();
          return !out.hasFull || written();
        };
        for (const r of records) if (!(await line(JSON.stringify(r)))) return;
        const held = this.sigmaRisk;
        for (const e of riskEvents) {
          if (held === null || !held.appendLine(e, out)) out.text(JSON.stringify(e));
          out.newline();
          if (out.hasFull && !(await written())) return;
        }
        for (const n of notables) if (!(await line(JSON.stringify(n)))) return;
        for (const i of incidents) if (!(await line(JSON.stringify(i)))) return;
        for (const [rank, e] of entities.entries()) if (!(await line(JSON.stringify({ kind: 'entity', rank: rank + 1, ...e })))) return;
        await written(true);
        return;
      }
      case 'csv': {
        const level = detectionLevels(riskEvents);
        // Each CSV record already ends in CRLF.
        const lines = new ChunkedWriter(write, '');
        const tz = this.options.tableStyle?.timeZone;
        for (const r of records) {
          const row = detectionCsvRow(r, level(r.detection.id));
          if (!(await lines.add(csvRowLine({ ...row, Timestamp: csvTime(row.Timestamp, tz) })))) return;
        }
        await lines.flush();
        return;
      }
      case 'html': {
        const collector = new ReportCollector();
        const catalog = defaultAttackCatalog();
        const tacticName = (slug: string): string => catalog.tactic(slug)?.name ?? slug;
        let bad = 0;
        if (held !== undefined) {
          const lines = new LineSplitter((line) => {
            try {
              collector.add(itemOfHeld(JSON.parse(line) as HeldFinding, tacticName));
            } catch {
              bad++;
            }
          });
          await held.drainTo(async (piece) => {
            lines.push(piece);
            return true;
          });
          lines.end();
          bad += lines.skipped;
        }
        if (bad > 0) this.options.report(`vigil hunt: ${bad} held findings could not be read back; not in the report`);
        const level = detectionLevels(riskEvents);
        for (const r of records) collector.add(itemOfDetection(r, level(r.detection.id), catalog));
        const items = collector.keptJson();
        await writeHtmlReport(
          {
            counts: collector.counts(),
            kept: items.length,
            leftOut: collector.leftOut,
            risk: this.options.risk ? { events: riskEvents.length, entities, incidents, notables } : null,
            catalog,
          },
          items,
          write,
        );
        return;
      }
      case 'table': {
        let text = '';
        if (this.options.risk) {
          text += this.entityTable(entities, riskEvents.length);
          text += incidentTable(incidents, this.options.tableStyle?.timeZone);
          text += notableTable(notables, this.options.tableStyle?.timeZone);
        }
        if (this.splunk !== null) text += detectionTable(records);
        text += '== Sigma findings ==\n';
        const width = (this.options.tableStyle ?? PLAIN_TABLE).width;
        await write(width === null ? text : text.split('\n').map((l) => fitLine(l, width)).join('\n'));
        return;
      }
      default:
        assertNever(this.format, 'hunt format');
    }
  };

  private entityTable(entities: readonly EntityRisk[], events: number): string {
    const catalog = defaultAttackCatalog();
    const shown = entities.slice(0, this.options.topEntities);
    const lines = [`== Risk-ranked entities (${entities.length} entities from ${events} risk events${shown.length < entities.length ? `; top ${shown.length} shown` : ''}) ==`];
    if (entities.length > 0) {
      lines.push(`${cell('RANK', 4)} ${cell('SCORE', 6)} ${cell('TYPE', 6)} ${cell('ENTITY', 32)} ${cell('EVENTS', 6)} ${cell('TACTICS', 40)} TOP DETECTIONS (score × events)`);
      for (const [i, e] of shown.entries()) {
        const tactics = e.mitre_tactic_id.map((id) => catalog.tactic(id)?.short ?? id).join(', ');
        const top = [...e.detections].sort((a, b) => b.score - a.score).slice(0, 3).map((d) => `${d.detection.name} (${d.score}×${d.count})`);
        const more = e.detections.length > 3 ? ` +${e.detections.length - 3} more` : '';
        lines.push(`${cell(String(i + 1), 4)} ${cell(String(e.risk_score), 6)} ${cell(e.risk_object_type, 6)} ${cell(e.risk_object, 32)} ${cell(String(e.risk_event_count), 6)} ${cell(tactics || '-', 40)} ${clip(top.join('; ') + more, 200)}`.trimEnd());
      }
    }
    return lines.join('\n') + '\n\n';
  }

  totals(): HuntEndTotals {
    return { detections: this.splunk?.totals() ?? null, risk: this.options.risk ? this.totalsCache : null };
  }
}

/** JSON lines written in ~1 MB pieces so a large result set never sits whole in one string. */
class ChunkedWriter {
  private text = '';
  constructor(
    private readonly write: Write,
    private readonly eol = '\n',
  ) {}
  async add(line: string): Promise<boolean> {
    this.text += line + this.eol;
    if (this.text.length < 1 << 20) return true;
    return this.flush();
  }
  async flush(): Promise<boolean> {
    if (this.text.length === 0) return true;
    const t = this.text;
    this.text = '';
    return this.write(t);
  }
}

function incidentTable(incidents: readonly RiskNotable[], tz?: TimeZoneSpec): string {
  const lines = [`== Risk incidents (${incidents.length}) ==`];
  if (incidents.length > 0) {
    lines.push(`${cell(timeHead(tz), 19)} ${cell('SEVERITY', 13)} ${cell('ENTITY', 40)} ${cell('SCORE', 6)} ${cell('TACTICS', 7)} RULE`);
    for (const i of incidents) {
      lines.push(`${cell(shortIso(i._time, tz), 19)} ${cell(i.severity, 13)} ${cell(`${i.risk_object_type}=${i.risk_object}`, 40)} ${cell(String(i.peak.risk_score), 6)} ${cell(String(i.peak.tactic_count), 7)} ${i.rule_title}`);
    }
  }
  return lines.join('\n') + '\n\n';
}

function notableTable(notables: readonly Notable[], tz?: TimeZoneSpec): string {
  const lines = [`== Notables (${notables.length}) ==`];
  if (notables.length > 0) {
    lines.push(`${cell(timeHead(tz), 19)} ${cell('SEVERITY', 13)} ${cell('HOST', 32)} RULE`);
    for (const n of notables) {
      const host = rowHost(n.fields);
      lines.push(`${cell(shortIso(n._time, tz), 19)} ${cell(n.severity, 13)} ${cell(host, 32)} ${n.rule_title}`);
    }
  }
  return lines.join('\n') + '\n\n';
}

function detectionTable(records: readonly DetectionRecord[]): string {
  const lines: string[] = [`== Splunk-style detection results (${records.length} rows) ==`];
  if (records.length > 0) {
    lines.push(`${cell('TYPE', 9)} ${cell('LAST TIME', 20)} ${cell('HOST', 28)} ${cell('DETECTION', 56)} FIELDS`);
    for (const r of records) {
      lines.push(`${cell(r.detection.type, 9)} ${cell(rowTime(r), 20)} ${cell(rowHost(r.row), 28)} ${cell(r.detection.name, 56)} ${clip(rowSummary(r), 160)}`.trimEnd());
    }
  }
  return lines.join('\n') + '\n\n';
}

/**
 * The level of a Splunk-style detection's rows: the severity ES gives its notable, from the
 * detection's highest risk score; informational when it raised no risk (Hunting, --no-risk).
 */
export function detectionLevels(riskEvents: readonly RankedRisk[]): (detectionId: string) => Level {
  const top = new Map<string, number>();
  for (const e of riskEvents) {
    if (e.detection.origin !== 'spl') continue;
    top.set(e.detection.id, Math.max(top.get(e.detection.id) ?? 0, e.risk_score));
  }
  return (id) => {
    const score = top.get(id);
    return score === undefined ? 'informational' : severityForScore(score);
  };
}
