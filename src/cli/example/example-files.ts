/**
 * Writes the example data set: the incident in EXAMPLE_EVENTS as one EVTX file per channel (as a
 * triage collection would hold them), as XmlWinEventLog text (one event a line, as Splunk's
 * Windows input writes it) and as evtx_dump-style JSONL. Everything is produced by our own code.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { writeEvtx } from '../../sinks/evtx-writer/index.js';
import type { WriterEvent, WriterValue } from '../../sinks/evtx-writer/types.js';
import { parseXmlDocument } from '../../sources/text/xml-parse.js';
import { renderEvtxJson } from '../../render/evtx-json.js';
import { EXAMPLE_EVENTS } from './example-events.js';

const EVENT_NS = 'http://schemas.microsoft.com/win/2004/08/events/event';

export interface ExampleFile {
  readonly path: string;
  readonly events: number;
}

function escapeXml(s: string, quote: boolean): string {
  let out = s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  if (quote) out = out.replace(/'/g, '&apos;');
  return out;
}

/** The text Windows renders for a value of the writer's types (the subset the examples use). */
export function valueText(v: WriterValue): string {
  if (v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return (v as readonly string[]).join(' ');
  const typed = v as Exclude<WriterValue, string | number | bigint | boolean | null | Date | readonly string[]>;
  switch (typed.type) {
    case 'hex32':
    case 'hex64':
      return typeof typed.value === 'string' ? typed.value : '0x' + typed.value.toString(16);
    case 'guid': {
      const g = typed.value.replace(/[{}]/g, '').toUpperCase();
      return `{${g}}`;
    }
    case 'binary':
      return typeof typed.value === 'string' ? typed.value : Buffer.from(typed.value).toString('hex').toUpperCase();
    case 'filetime':
    case 'systemtime':
      return typed.value instanceof Date ? typed.value.toISOString() : String(typed.value);
    default:
      return String(typed.value);
  }
}

/** Windows prints SystemTime with 9 fractional digits; the writer takes up to 7 (100 ns). */
function systemTime(t: Date | string): string {
  const iso = t instanceof Date ? t.toISOString() : t;
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?Z$/.exec(iso);
  if (!m) return iso;
  return `${m[1]}.${(m[2] ?? '').padEnd(7, '0').slice(0, 7)}00Z`;
}

/** One event as a single line of XmlWinEventLog (single-quoted attributes, no declaration). */
export function eventXml(e: WriterEvent): string {
  const attr = (name: string, value: string): string => ` ${name}='${escapeXml(value, true)}'`;
  const p = e.provider;
  let s = `<Event xmlns='${EVENT_NS}'><System><Provider${attr('Name', p.name)}`;
  if (p.guid !== undefined) s += attr('Guid', p.guid.startsWith('{') ? p.guid : `{${p.guid}}`);
  if (p.eventSourceName !== undefined) s += attr('EventSourceName', p.eventSourceName);
  s += '/>';
  s += e.qualifiers !== undefined ? `<EventID${attr('Qualifiers', String(e.qualifiers))}>${e.eventId}</EventID>` : `<EventID>${e.eventId}</EventID>`;
  s += `<Version>${e.version ?? 0}</Version><Level>${e.level ?? 0}</Level><Task>${e.task ?? 0}</Task><Opcode>${e.opcode ?? 0}</Opcode>`;
  s += `<Keywords>${typeof e.keywords === 'bigint' ? '0x' + e.keywords.toString(16) : e.keywords ?? '0x0'}</Keywords>`;
  s += `<TimeCreated${attr('SystemTime', systemTime(e.timeCreated))}/>`;
  if (e.recordId !== undefined) s += `<EventRecordID>${e.recordId}</EventRecordID>`;
  const c = e.correlation;
  s += '<Correlation';
  if (c?.activityId !== undefined) s += attr('ActivityID', c.activityId);
  if (c?.relatedActivityId !== undefined) s += attr('RelatedActivityID', c.relatedActivityId);
  s += '/>';
  if (e.execution) s += `<Execution${attr('ProcessID', String(e.execution.processId))}${attr('ThreadID', String(e.execution.threadId))}/>`;
  s += `<Channel>${escapeXml(e.channel, false)}</Channel><Computer>${escapeXml(e.computer, false)}</Computer>`;
  s += e.userId !== undefined ? `<Security${attr('UserID', e.userId)}/>` : '<Security/>';
  s += '</System>';
  if (e.userData) {
    const u = e.userData;
    s += `<UserData><${u.element}${u.xmlns !== undefined ? attr('xmlns', u.xmlns) : ''}>`;
    for (const [name, value] of u.fields) s += `<${name}>${escapeXml(valueText(value), false)}</${name}>`;
    s += `</${u.element}></UserData>`;
  } else {
    s += '<EventData>';
    for (const [name, value] of e.eventData ?? []) {
      const text = valueText(value);
      const open = name === '' ? '<Data' : `<Data${attr('Name', name)}`;
      s += text === '' ? `${open}/>` : `${open}>${escapeXml(text, false)}</Data>`;
    }
    s += '</EventData>';
  }
  return s + '</Event>';
}

/** File name for a channel's EVTX: `Microsoft-Windows-Sysmon/Operational` → `Microsoft-Windows-Sysmon%4Operational.evtx`. */
function channelFileName(channel: string): string {
  return channel.replace(/\//g, '%4') + '.evtx';
}

/** Writes the example files into `dir` (created if needed) and lists them. */
export async function writeExampleFiles(dir: string, events: readonly WriterEvent[] = EXAMPLE_EVENTS): Promise<ExampleFile[]> {
  await mkdir(path.join(dir, 'evtx'), { recursive: true });
  const files: ExampleFile[] = [];
  const byChannel = new Map<string, WriterEvent[]>();
  for (const e of events) {
    const list = byChannel.get(e.channel) ?? [];
    list.push(e);
    byChannel.set(e.channel, list);
  }
  for (const [channel, list] of byChannel) {
    const file = path.join(dir, 'evtx', channelFileName(channel));
    await writeFile(file, writeEvtx(list));
    files.push({ path: file, events: list.length });
  }
  const sorted = [...events].sort((a, b) => systemTime(a.timeCreated).localeCompare(systemTime(b.timeCreated)));
  const xmlLines = sorted.map(eventXml);
  const xmlFile = path.join(dir, 'xmlwineventlog.xml');
  await writeFile(xmlFile, xmlLines.join('\n') + '\n');
  files.push({ path: xmlFile, events: xmlLines.length });

  const jsonFile = path.join(dir, 'evtx-dump.jsonl');
  const jsonLines = xmlLines.map((line, i) => JSON.stringify(renderEvtxJson(parseXmlDocument(line, `${xmlFile}:${i + 1}`))));
  await writeFile(jsonFile, jsonLines.join('\n') + '\n');
  files.push({ path: jsonFile, events: jsonLines.length });
  return files;
}
