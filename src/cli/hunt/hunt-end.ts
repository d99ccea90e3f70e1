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
import { cell, clip, csvTime, fitLine, PLAIN_TABLE, sharedWidth, type HuntFormat, type TableStyle } from './finding-format.js';
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
import { HeldRisk, type EncodedRisk, type RiskList } from './held-risk.js';
import { ByteLines } from '../output/byte-lines.js';
import { tmpdir } from 'node:os';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { MAX_RISK_EVENTS, mergeRiskLists, recoverRiskFile, RiskBudget, threadRiskEvents, timeOrderedList, type InOrderLines, type RiskHolding, type ThreadRiskEnd } from './thread-risk.js';

export { MAX_RISK_EVENTS };

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
  /** The cap on held events, shared with the hunt workers. */
  private readonly budget: RiskBudget;
  /** The folder of the workers' risk files: undefined until the first is asked for, null when it cannot be made. */
  private threadDir: string | null | undefined = undefined;
  private threadFiles = 0;
  /** The workers' sorted events, asked for when the input ends. */
  private threadParts: Promise<readonly (ThreadRiskEnd | null)[]> | null = null;
  /** Events of workers that died, read back from their files. */
  private recovered: HeldRisk | null = null;
  /** Those files being read. */
  private readonly recovering: Promise<void>[] = [];
  /** The workers' events as the end reads them (their files are closed by `discard`). */
  private readonly threadHeld: HeldRisk[] = [];
  private totalsCache: RiskTotals | null = null;
  private readonly warned = new Set<string>();

  constructor(
    private readonly splunk: SplunkHunt | null,
    private readonly format: HuntFormat,
    private readonly options: HuntEndOptions,
  ) {
    this.budget = new RiskBudget();
  }

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

  /** Sigma findings' risk events made on the main thread. */
  private readonly onRisk = (events: readonly EncodedRisk[]): void => {
    if (events.length === 0) return;
    const held = (this.sigmaRisk ??= this.newHeld());
    for (const e of events) {
      if (this.budget.take()) held.add(e);
      else this.dropped++;
    }
  };

  private newHeld(): HeldRisk {
    return HeldRisk.create({
      warn: (message) => this.warn({ severity: 'warning', code: 'hunt.risk-temp-file', message, location: { file: tmpdir() } }),
    });
  }

  /** Where the hunt puts Sigma findings' risk (null with --no-risk). */
  riskHolding(): RiskHolding | null {
    if (!this.options.risk) return null;
    return {
      add: this.onRisk,
      printsLines: this.format === 'jsonl',
      budget: this.budget.shared,
      limit: this.budget.limit,
      newFile: () => {
        if (this.threadDir === undefined) {
          try {
            this.threadDir = mkdtempSync(path.join(tmpdir(), 'vigil-risk-'));
          } catch (err) {
            this.threadDir = null;
            this.warn({ severity: 'warning', code: 'hunt.risk-temp-file', message: `risk events are kept in memory: the temporary folder could not be made (${err instanceof Error ? err.message : String(err)})`, location: { file: tmpdir() } });
          }
        }
        return this.threadDir === null ? null : path.join(this.threadDir, `thread-${++this.threadFiles}.jsonl`);
      },
      recover: (file) => {
        const location = { file: file ?? tmpdir() };
        if (file === null) {
          this.warn({ severity: 'warning', code: 'hunt.risk-lost', message: 'a hunt worker stopped: the risk events it held in memory are lost', location });
          return;
        }
        const held = (this.recovered ??= this.newHeld());
        // Read while the run goes on; the end waits for it (atEnd).
        this.recovering.push(
          recoverRiskFile(file, (e) => held.add(e)).then(
            ({ events, bad }) => this.warn({ severity: 'warning', code: 'hunt.risk-recovered', message: `a hunt worker stopped: ${events} risk events it held were read back from its file${bad > 0 ? `, ${bad} could not be` : ''}; those of the file it was on may be incomplete`, location }),
            (err: unknown) => this.warn({ severity: 'warning', code: 'hunt.risk-lost', message: `a hunt worker stopped and the risk events it held could not be read back: ${err instanceof Error ? err.message : String(err)}`, location }),
          ),
        );
      },
      collect: (parts) => {
        this.threadParts = parts;
        // Awaited by atEnd; one that is never awaited (the output closed early) must not reject unseen.
        parts.catch(() => undefined);
      },
    };
  }

  /**
   * Removes what the run held on disk. The caller's job once the run is over, whether or not
   * `atEnd` ran (it does not when the output closed early).
   */
  discard(): void {
    this.sigmaRisk?.discard();
    this.recovered?.discard();
    for (const h of this.threadHeld.splice(0)) h.discard();
    if (typeof this.threadDir === 'string') rmSync(this.threadDir, { recursive: true, force: true });
  }

  readonly atEnd = async (write: Write, held?: Spill, released?: () => boolean): Promise<void> => {
    const records = this.splunk?.finish() ?? [];
    let notables: Notable[] = [];
    let riskEvents: RankedRisk[] = [];
    /** Which list of `printers` each of `riskEvents` came from. */
    let riskFrom: Uint16Array = new Uint16Array(0);
    const printers: (HeldRisk | null)[] = [];
    /** The workers' lines in their order, to print from once written (`ready`, until taken up). */
    const inOrder: { readonly held: HeldRisk; readonly printer: number; ready: InOrderLines | null }[] = [];
    let incidents: RiskNotable[] = [];
    let entities: EntityRisk[] = [];
    let fromDetections = 0;
    let fromSigma = this.sigmaRisk?.size ?? 0;
    let dropped = this.dropped;
    if (this.options.risk) {
      const fromRuns = riskFromRuns(this.splunk?.runs ?? [], { attack: defaultAttackCatalog(), warn: this.warn });
      notables = fromRuns.notables;
      fromDetections = fromRuns.events.length;
      // One spelling per person across Sigma and Splunk-style risk (no identity lookup here):
      // `CORP\alice` and `alice@corp` count as `alice`, as the Sigma side already writes them.
      const detectionRisk: RankedRisk[] = fromRuns.events.map((e) => (e.risk_object_type === 'user' ? { ...e, risk_object: bareUserName(e.risk_object) } : e));
      // Sigma findings' risk arrives in file order, on each thread: every thread's list is put
      // in an order of its own (this thread's here, while the workers sort theirs), then the
      // lists are merged, so every thread count prints the same records.
      const own = this.sigmaRisk?.sortedPlaces() ?? null;
      const lists: RiskList[] = [timeOrderedList(detectionRisk), own ?? timeOrderedList([])];
      printers.push(null, this.sigmaRisk);
      for (const end of (await this.threadParts) ?? []) {
        if (end === null) continue;
        let part = end.part;
        if (part.file !== null && !existsSync(part.file)) {
          // Removed under the run (a temporary-folder cleaner): ranked all the same, printed without their texts.
          this.warn({ severity: 'warning', code: 'hunt.risk-lost', message: "a hunt worker's risk file is gone: its events are ranked, but printed without their message and fields", location: { file: part.file } });
          part = { ...part, file: null };
        }
        // Rules this thread raised risk for too get this thread's objects for their parts.
        const { held, list } = threadRiskEvents(part, this.sigmaRisk);
        const lines = { held, printer: printers.length, ready: null as InOrderLines | null };
        inOrder.push(lines);
        void end.lines.then((ready) => (lines.ready = ready));
        this.threadHeld.push(held);
        lists.push(list);
        printers.push(held);
        fromSigma += list.events.length;
        dropped += part.dropped;
      }
      // Read back from workers that died (after the parts: a worker may die while answering).
      await Promise.all(this.recovering);
      if (this.recovered !== null) {
        lists.push(this.recovered.sortedPlaces());
        printers.push(this.recovered);
        fromSigma += this.recovered.size;
      }
      const merged = mergeRiskLists(lists);
      riskEvents = merged.events;
      riskFrom = merged.from;
      const groups = eventsByEntity(riskEvents);
      incidents = evaluateIncidentRules(riskEvents, this.options.incidentRules, groups);
      entities = rankEntities(riskEvents, groups);
    }
    this.totalsCache = {
      riskEvents: riskEvents.length,
      fromDetections,
      fromSigma,
      dropped,
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
        // Written by the workers while this thread merged and ranked. A worker still writing is
        // not waited for (with many events the disk can be slower than putting the lines together
        // here): its lines are put together from where it held them until its file is written,
        // then read from the file from the line printing has reached. One turn of the event loop
        // hears from those done by now; each write of the output lets the others be heard.
        const printed = new Uint32Array(printers.length);
        const readWritten = (): void => {
          for (const lines of inOrder) {
            const ready = lines.ready;
            if (ready === null) continue;
            // Taken up once (its promise settles once).
            lines.ready = null;
            try {
              lines.held.readInOrder(ready.file, ready.lengths, printed[lines.printer]);
            } catch {
              // Unreadable: each line is read from where the worker held it.
            }
          }
        };
        await new Promise<void>((resolve) => setImmediate(resolve));
        readWritten();
        for (let i = 0; i < riskEvents.length; i++) {
          const e = riskEvents[i]!;
          const from = riskFrom[i]!;
          const held = printers[from] ?? null;
          if (held === null || !held.appendLine(e, out)) out.text(JSON.stringify(e));
          out.newline();
          printed[from]++;
          if (out.hasFull) {
            if (!(await written())) return;
            readWritten();
          }
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
      // On a terminal narrower than the full layout, TACTICS gives up width (never under 16) so
      // that the top detections still show.
      const width = (this.options.tableStyle ?? PLAIN_TABLE).width;
      const before = [4, 6, 6, 32, 6].reduce((sum, w) => sum + w + 1, 0);
      const tacticsWidth = width === null ? 40 : sharedWidth(width, before, 40, 16);
      lines.push(`${cell('RANK', 4)} ${cell('SCORE', 6)} ${cell('TYPE', 6)} ${cell('ENTITY', 32)} ${cell('EVENTS', 6)} ${cell('TACTICS', tacticsWidth)} TOP DETECTIONS (score × events)`);
      for (const [i, e] of shown.entries()) {
        const tactics = e.mitre_tactic_id.map((id) => catalog.tactic(id)?.short ?? id).join(', ');
        const top = [...e.detections].sort((a, b) => b.score - a.score).slice(0, 3).map((d) => `${d.detection.name} (${d.score}×${d.count})`);
        const more = e.detections.length > 3 ? ` +${e.detections.length - 3} more` : '';
        lines.push(`${cell(String(i + 1), 4)} ${cell(String(e.risk_score), 6)} ${cell(e.risk_object_type, 6)} ${cell(e.risk_object, 32)} ${cell(String(e.risk_event_count), 6)} ${cell(tactics || '-', tacticsWidth)} ${clip(top.join('; ') + more, 200)}`.trimEnd());
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
