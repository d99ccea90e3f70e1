/**
 * Fields from Winlogbeat / Elastic Agent ECS documents. Both nested objects and dotted keys
 * (`"winlog.channel": ...`, as some exports write them) are accepted: the document is first
 * flattened to dotted paths.
 *
 * - `winlog.event_data.X` and `winlog.user_data.X` → field `X` (the EventData names);
 * - System facts: winlog.channel→Channel, winlog.provider_name (or event.provider)→Provider_Name,
 *   winlog.provider_guid→Provider_Guid, winlog.event_id (or event.code)→EventID,
 *   winlog.computer_name (or host.name, host.hostname)→Computer, winlog.record_id→EventRecordID,
 *   @timestamp→TimeCreated, winlog.user.identifier→Security_UserID,
 *   winlog.process.pid/thread.id→Execution_ProcessID/ThreadID, winlog.version/task/opcode/
 *   keywords→Version/Task/Opcode/Keywords, log.level→Level, message→Message;
 * - Sysmon events only: Winlogbeat moves some EventData into ECS fields (process.executable,
 *   destination.ip, ...); they are mapped back to the Sysmon names when EventData lacks them;
 * - every other path is kept under its dotted ECS name (`process.executable`, `host.os.name`).
 */
import type { FieldScalar } from '../../core/event.js';
import { type FieldBag, firstScalar, parseInteger, parseTimestamp, setOwn } from './text-event.js';

type Flat = Map<string, FieldScalar | FieldScalar[]>;

const MAX_FLATTEN_DEPTH = 64;

/** Flattens nested objects to dotted paths; arrays of scalars stay lists, others become JSON text. */
export function flattenJson(value: unknown, prefix = '', out: Flat = new Map(), depth = 0): Flat {
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && depth < MAX_FLATTEN_DEPTH) {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) flattenJson(v, prefix === '' ? k : `${prefix}.${k}`, out, depth + 1);
    return out;
  }
  if (prefix === '') return out;
  out.set(prefix, toFieldValue(value));
  return out;
}

function toFieldValue(value: unknown): FieldScalar | FieldScalar[] {
  if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (Array.isArray(value) && value.every((v) => v === null || ['string', 'number', 'boolean'].includes(typeof v))) return value as FieldScalar[];
  return JSON.stringify(value);
}

/** True when a parsed JSON document looks like Winlogbeat / Elastic Agent output. */
export function isEcsDocument(obj: Record<string, unknown>): boolean {
  if ('winlog' in obj) return true;
  for (const k of Object.keys(obj)) if (k.startsWith('winlog.')) return true;
  if ('@timestamp' in obj) {
    const ev = obj['event'];
    if ((typeof ev === 'object' && ev !== null && 'code' in ev) || 'event.code' in obj) return true;
  }
  return false;
}

const SYSMON_FROM_ECS: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['Image', ['process.executable']],
  ['CommandLine', ['process.command_line']],
  ['ProcessId', ['process.pid']],
  ['ProcessGuid', ['process.entity_id']],
  ['CurrentDirectory', ['process.working_directory']],
  ['ParentImage', ['process.parent.executable']],
  ['ParentCommandLine', ['process.parent.command_line']],
  ['ParentProcessId', ['process.parent.pid']],
  ['ParentProcessGuid', ['process.parent.entity_id']],
  ['OriginalFileName', ['process.pe.original_file_name']],
  ['Description', ['process.pe.description']],
  ['Product', ['process.pe.product']],
  ['Company', ['process.pe.company']],
  ['FileVersion', ['process.pe.file_version']],
  ['TargetFilename', ['file.path']],
  ['ImageLoaded', ['dll.path', 'file.path']],
  ['DestinationIp', ['destination.ip']],
  ['DestinationPort', ['destination.port']],
  ['DestinationHostname', ['destination.domain']],
  ['SourceIp', ['source.ip']],
  ['SourcePort', ['source.port']],
  ['SourceHostname', ['source.domain']],
  ['Protocol', ['network.transport']],
  ['TargetObject', ['registry.path']],
  ['QueryName', ['dns.question.name']],
];

const SYSTEM_FROM_ECS: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['Channel', ['winlog.channel']],
  ['Provider_Name', ['winlog.provider_name', 'event.provider']],
  ['Provider_Guid', ['winlog.provider_guid']],
  ['Computer', ['winlog.computer_name', 'host.name', 'host.hostname']],
  ['Security_UserID', ['winlog.user.identifier']],
  ['Execution_ProcessID', ['winlog.process.pid']],
  ['Execution_ThreadID', ['winlog.process.thread.id']],
  ['Version', ['winlog.version']],
  ['Task', ['winlog.task']],
  ['Opcode', ['winlog.opcode']],
  ['Keywords', ['winlog.keywords']],
  ['Level', ['log.level', 'winlog.level']],
  ['Message', ['message']],
];

function first(flat: Flat, paths: readonly string[]): FieldScalar | FieldScalar[] | undefined {
  for (const p of paths) {
    const v = flat.get(p);
    if (v !== undefined && v !== null && v !== '') return v;
  }
  return undefined;
}

export interface EcsFields {
  readonly fields: FieldBag;
  /** The EventData part alone, for the synthesized XML. */
  readonly eventData: FieldBag;
}

export function fieldsFromEcs(doc: Record<string, unknown>): EcsFields {
  const flat = flattenJson(doc);
  const fields: FieldBag = {};
  const eventData: FieldBag = {};
  for (const [path, v] of flat) {
    const name = path.startsWith('winlog.event_data.')
      ? path.slice('winlog.event_data.'.length)
      : path.startsWith('winlog.user_data.')
        ? path.slice('winlog.user_data.'.length)
        : null;
    if (name === null || name === 'xml_name') continue;
    setOwn(fields, name, v);
    setOwn(eventData, name, v);
  }
  for (const [target, paths] of SYSTEM_FROM_ECS) {
    const v = first(flat, paths);
    if (v !== undefined && fields[target] === undefined) setOwn(fields, target, v);
  }
  const eventId = parseInteger(firstScalar(first(flat, ['winlog.event_id', 'event.code'])));
  if (eventId !== null) setOwn(fields, 'EventID', eventId);
  const recordId = parseInteger(firstScalar(first(flat, ['winlog.record_id'])));
  if (recordId !== null) setOwn(fields, 'EventRecordID', recordId);
  const time = parseTimestamp(firstScalar(first(flat, ['@timestamp', 'winlog.time_created', 'event.created'])));
  if (time !== null) setOwn(fields, 'TimeCreated', time);

  const provider = String(firstScalar(fields['Provider_Name']) ?? '');
  const channel = String(firstScalar(fields['Channel']) ?? '');
  if (provider === 'Microsoft-Windows-Sysmon' || channel === 'Microsoft-Windows-Sysmon/Operational') {
    for (const [target, paths] of SYSMON_FROM_ECS) {
      if (fields[target] !== undefined) continue;
      const v = first(flat, paths);
      if (v !== undefined) {
        setOwn(fields, target, v);
        setOwn(eventData, target, v);
      }
    }
    if (fields['User'] === undefined) {
      const user = firstScalar(flat.get('user.name'));
      const domain = firstScalar(flat.get('user.domain'));
      if (typeof user === 'string' && user !== '') {
        const full = typeof domain === 'string' && domain !== '' ? `${domain}\\${user}` : user;
        setOwn(fields, 'User', full);
        setOwn(eventData, 'User', full);
      }
    }
  }
  // Everything else stays reachable under its ECS name.
  for (const [path, v] of flat) {
    if (path.startsWith('winlog.event_data.') || path.startsWith('winlog.user_data.')) continue;
    if (fields[path] === undefined) setOwn(fields, path, v);
  }
  return { fields, eventData };
}
