/**
 * Writes an IIS scenario to disk: one file per channel per format, the Get-WebGlobalModule
 * inventory, and manifest.json (every attack event and the benign counts). Output depends only on
 * the scenario, so one seed always gives the same bytes.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { assertNever } from '../core/xml-tree.js';
import { writeEvtx, type WriterEvent } from '../sinks/evtx-writer/index.js';
import { eventXml } from '../cli/example/example-files.js';
import { parseXmlDocument } from '../sources/text/xml-parse.js';
import { renderEvtxJson } from '../render/evtx-json.js';
import { eventWinEventLog } from './winevtlog-text.js';
import { CHANNELS, TECHNIQUE, ruleFor, type ChannelKey, type Scenario } from './iis-scenario.js';

export const SIM_FORMATS = ['evtx', 'xml', 'winevtlog', 'jsonl'] as const;
export type SimFormat = (typeof SIM_FORMATS)[number];

const EXTENSIONS: Readonly<Record<SimFormat, string>> = { evtx: '.evtx', xml: '.xml', winevtlog: '.log', jsonl: '.jsonl' };

export interface ManifestAttackEvent {
  readonly technique: string;
  readonly behaviour: string;
  readonly rule_id: string;
  readonly rule_file: string;
  readonly channel: string;
  /** File stem: `Sysmon` → evtx/Sysmon.evtx, xml/Sysmon.xml, winevtlog/Sysmon.log, jsonl/Sysmon.jsonl. */
  readonly file: string;
  readonly event_id: number;
  readonly record_id: number;
  readonly host: string;
  readonly time: string;
}

export interface Manifest {
  readonly scenario: 'iis';
  readonly technique: string;
  readonly seed: number;
  readonly host: string;
  readonly rogue_module: { readonly name: string; readonly image: string; readonly assembly: string };
  readonly formats: readonly SimFormat[];
  readonly files: Readonly<Record<string, readonly string[]>>;
  readonly attack: readonly ManifestAttackEvent[];
  readonly benign: { readonly total: number; readonly by_file: Readonly<Record<string, number>>; readonly by_kind: Readonly<Record<string, number>> };
  readonly inventory: string;
}

export function buildManifest(s: Scenario, formats: readonly SimFormat[]): Manifest {
  const attack: ManifestAttackEvent[] = [];
  const byFile: Record<string, number> = {};
  const byKind: Record<string, number> = {};
  const files: Record<string, string[]> = {};
  let total = 0;
  for (const [key, events] of s.channels) {
    const stem = CHANNELS[key].stem;
    if (events.length > 0) for (const f of formats) (files[f] ??= []).push(`${f}/${stem}${EXTENSIONS[f]}`);
    for (const e of events) {
      const rule = ruleFor(e.label);
      if (e.label.kind === 'attack' && rule !== null) {
        attack.push({
          technique: TECHNIQUE, behaviour: e.label.behaviour, rule_id: rule.id, rule_file: rule.file,
          channel: e.event.channel, file: stem, event_id: e.event.eventId, record_id: e.event.recordId ?? 0,
          host: e.event.computer, time: String(e.event.timeCreated),
        });
      } else if (e.label.kind === 'benign') {
        total++;
        byFile[stem] = (byFile[stem] ?? 0) + 1;
        byKind[e.label.benign] = (byKind[e.label.benign] ?? 0) + 1;
      }
    }
  }
  attack.sort((a, b) => a.time.localeCompare(b.time) || a.file.localeCompare(b.file));
  return {
    scenario: 'iis', technique: TECHNIQUE, seed: s.seed, host: s.host, rogue_module: s.module, formats, files, attack,
    benign: { total, by_file: byFile, by_kind: byKind }, inventory: 'inventory/webglobalmodule.log',
  };
}

/** The native modules a stock IIS 10 lists, then the rogue one, as `Get-WebGlobalModule` key=value lines. */
const STOCK_MODULES: ReadonlyArray<readonly [string, string]> = [
  ['UriCacheModule', 'cachuri.dll'], ['FileCacheModule', 'cachfile.dll'], ['TokenCacheModule', 'cachtokn.dll'],
  ['HttpCacheModule', 'cachhttp.dll'], ['StaticCompressionModule', 'compstat.dll'], ['DefaultDocumentModule', 'defdoc.dll'],
  ['DirectoryListingModule', 'dirlist.dll'], ['ProtocolSupportModule', 'protsup.dll'], ['StaticFileModule', 'static.dll'],
  ['AnonymousAuthenticationModule', 'authanon.dll'], ['RequestFilteringModule', 'modrqflt.dll'], ['CustomErrorModule', 'custerr.dll'],
  ['HttpLoggingModule', 'loghttp.dll'], ['IsapiModule', 'isapi.dll'], ['IsapiFilterModule', 'filter.dll'], ['ConfigurationValidationModule', 'validcfg.dll'],
];

export function inventoryText(s: Scenario, channels: ReadonlyMap<ChannelKey, readonly { readonly event: { readonly timeCreated: Date | string } }[]>): string {
  // Collected after the intrusion: one hour after the last event.
  let last = '';
  for (const events of channels.values()) for (const e of events) if (String(e.event.timeCreated) > last) last = String(e.event.timeCreated);
  const time = new Date(new Date(last).getTime() + 3600_000).toISOString();
  const host = s.host.split('.')[0]!;
  const line = (name: string, image: string): string => `time="${time}" host="${host}" name="${name}" image="${image}" preCondition=""`;
  const lines = STOCK_MODULES.map(([name, dll]) => line(name, `%windir%\\System32\\inetsrv\\${dll}`));
  lines.splice(7, 0, line(s.module.name, s.module.image));
  return lines.join('\n') + '\n';
}

/** One event a line: line breaks inside values (multi-line script blocks) become `&#10;`. */
export function xmlLine(e: WriterEvent): string {
  return eventXml(e).replace(/\r/g, '&#13;').replace(/\n/g, '&#10;');
}

export interface WrittenFile {
  readonly path: string;
  readonly events: number;
}

/** Writes everything under `dir`; returns the files written (manifest last). */
export async function writeIisSimulation(dir: string, s: Scenario, formats: readonly SimFormat[]): Promise<WrittenFile[]> {
  const written: WrittenFile[] = [];
  for (const format of formats) {
    await mkdir(path.join(dir, format), { recursive: true });
    for (const [key, events] of s.channels) {
      if (events.length === 0) continue;
      const file = path.join(dir, format, CHANNELS[key].stem + EXTENSIONS[format]);
      const writers = events.map((e) => e.event);
      switch (format) {
        case 'evtx':
          await writeFile(file, writeEvtx(writers));
          break;
        case 'xml':
          await writeFile(file, writers.map(xmlLine).join('\n') + '\n');
          break;
        case 'winevtlog':
          await writeFile(file, writers.map(eventWinEventLog).join('\n') + '\n');
          break;
        case 'jsonl':
          await writeFile(file, writers.map((w, i) => JSON.stringify(renderEvtxJson(parseXmlDocument(eventXml(w), `${file}:${i + 1}`)))).join('\n') + '\n');
          break;
        default:
          assertNever(format, 'format');
      }
      written.push({ path: file, events: writers.length });
    }
  }
  await mkdir(path.join(dir, 'inventory'), { recursive: true });
  const inventory = path.join(dir, 'inventory', 'webglobalmodule.log');
  await writeFile(inventory, inventoryText(s, s.channels));
  written.push({ path: inventory, events: STOCK_MODULES.length + 1 });
  const manifest = buildManifest(s, formats);
  const manifestFile = path.join(dir, 'manifest.json');
  await writeFile(manifestFile, JSON.stringify(manifest, null, 2) + '\n');
  written.push({ path: manifestFile, events: manifest.attack.length });
  return written;
}

