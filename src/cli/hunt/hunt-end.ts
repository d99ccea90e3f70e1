/**
 * What `vigil hunt` prints when the input ends: the Splunk-style detections' result rows, and the
 * risk both kinds of rule raised (risk events per entity, notables, risk incidents, the entities
 * ranked by risk). In the table format this part is printed first (the Sigma findings are held
 * back in a temporary file meanwhile); in JSONL it follows the streamed findings.
 */
import type { VigilEvent } from '../../core/event.js';
import type { Finding } from './api.js';
import type { HuntFormat } from './finding-format.js';
import type { FindingRecord } from './finding-record.js';
import { rowHost, rowSummary, rowTime, type SplunkHunt, type SplunkHuntTotals } from './splunk-hunt.js';
import type { DetectionRecord } from './detection-record.js';
import { assertNever } from '../../core/xml-tree.js';

export interface HuntEndTotals {
  readonly detections: SplunkHuntTotals | null;
}

type Write = (text: string) => Promise<boolean>;

function cell(text: string, width: number): string {
  const flat = text.replace(/[\r\n\t]+/g, ' ');
  return flat.length <= width ? flat.padEnd(width) : flat.slice(0, width - 1) + '…';
}

function clip(text: string, width: number): string {
  const flat = text.replace(/[\r\n\t]+/g, ' ');
  return flat.length <= width ? flat : flat.slice(0, width - 1) + '…';
}

export class HuntEnd {
  constructor(
    private readonly splunk: SplunkHunt | null,
    private readonly format: HuntFormat,
  ) {}

  /** The table opens with the end-of-run part; JSONL streams findings first. */
  get printsFirst(): boolean {
    return this.format === 'table';
  }

  readonly observe = (event: VigilEvent): void => {
    this.splunk?.observe(event);
  };

  readonly onFinding = (record: FindingRecord, finding: Finding): void => {
    void record;
    void finding;
  };

  readonly atEnd = async (write: Write): Promise<void> => {
    const records = this.splunk?.finish() ?? [];
    switch (this.format) {
      case 'jsonl': {
        let text = '';
        for (const r of records) {
          text += JSON.stringify(r) + '\n';
          if (text.length > 1 << 20) {
            if (!(await write(text))) return;
            text = '';
          }
        }
        if (text.length > 0) await write(text);
        return;
      }
      case 'table':
        await write(detectionTable(records));
        return;
      default:
        assertNever(this.format, 'hunt format');
    }
  };

  totals(): HuntEndTotals {
    return { detections: this.splunk?.totals() ?? null };
  }
}

function detectionTable(records: readonly DetectionRecord[]): string {
  const lines: string[] = [];
  lines.push(`== Splunk-style detection results (${records.length} rows) ==`);
  if (records.length === 0) return lines.join('\n') + '\n\n';
  lines.push(`${cell('TYPE', 9)} ${cell('LAST TIME', 20)} ${cell('HOST', 28)} ${cell('DETECTION', 56)} FIELDS`);
  for (const r of records) {
    lines.push(`${cell(r.detection.type, 9)} ${cell(rowTime(r), 20)} ${cell(rowHost(r.row), 28)} ${cell(r.detection.name, 56)} ${clip(rowSummary(r), 160)}`.trimEnd());
  }
  return lines.join('\n') + '\n\n';
}
