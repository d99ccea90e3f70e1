/**
 * Template shapes, laid out as Windows lays them out (checked against real Sysmon and Security
 * files with python-evtx): an outer System template whose substitutions are all optional, with
 * the Computer as literal text and the payload as substitution 17 of type BinXml; the payload is
 * a nested fragment instancing a second template, `<EventData>` or `<UserData>`, one per event
 * shape, with normal substitutions.
 */
import { createHash } from 'node:crypto';
import { ValueType } from './values.js';

export interface TemplateText {
  readonly kind: 'text';
  readonly text: string;
}

export interface TemplateSubstitution {
  readonly kind: 'substitution';
  readonly index: number;
  readonly valueType: number;
  /** OptionalSubstitution (0x0e): a null value makes the attribute or content vanish. */
  readonly optional: boolean;
}

export interface TemplateAttribute {
  readonly name: string;
  readonly value: TemplateText | TemplateSubstitution;
}

export interface TemplateElement {
  readonly kind: 'element';
  readonly name: string;
  readonly attributes: readonly TemplateAttribute[];
  readonly children: readonly TemplateContent[];
}

export type TemplateContent = TemplateElement | TemplateText | TemplateSubstitution;

export interface TemplateShape {
  /** Identity of the shape; two events with equal keys share a template. */
  readonly key: string;
  /** 16-byte template GUID, derived from the key so files are reproducible. */
  readonly guid: Uint8Array;
  /** First four GUID bytes as a little-endian u32, as Windows repeats it in the instance. */
  readonly id: number;
  readonly root: TemplateElement;
  /** Number of substitution values an instance of this template carries. */
  readonly valueCount: number;
}

export const EVENT_XMLNS = 'http://schemas.microsoft.com/win/2004/08/events/event';

/** Substitution indexes of the System template (Windows' order). */
export const SystemIndex = {
  level: 0,
  opcode: 1,
  task: 2,
  eventId: 3,
  qualifiers: 4,
  keywords: 5,
  systemTime: 6,
  activityId: 7,
  processId: 8,
  threadId: 9,
  eventRecordId: 10,
  version: 11,
  userId: 12,
  relatedActivityId: 13,
  providerName: 14,
  providerGuid: 15,
  channel: 16,
  payload: 17,
  /** Only in the variant for classic sources. */
  eventSourceName: 18,
} as const;

const text = (t: string): TemplateText => ({ kind: 'text', text: t });
const opt = (index: number, valueType: number): TemplateSubstitution => ({ kind: 'substitution', index, valueType, optional: true });
const normal = (index: number, valueType: number): TemplateSubstitution => ({
  kind: 'substitution',
  index,
  valueType,
  optional: false,
});
const el = (name: string, attributes: TemplateAttribute[], children: TemplateContent[] = []): TemplateElement => ({
  kind: 'element',
  name,
  attributes,
  children,
});

function makeShape(key: string, root: TemplateElement, valueCount: number): TemplateShape {
  const guid = new Uint8Array(createHash('sha1').update(key).digest().subarray(0, 16));
  const id = (guid[0]! | (guid[1]! << 8) | (guid[2]! << 16) | (guid[3]! << 24)) >>> 0;
  return { key, guid, id, root, valueCount };
}

/** The outer template; one per computer name (it is literal text) and provider style. */
export function systemShape(computer: string, withEventSourceName: boolean): TemplateShape {
  const I = SystemIndex;
  const providerAttributes: TemplateAttribute[] = [
    { name: 'Name', value: opt(I.providerName, ValueType.string) },
    { name: 'Guid', value: opt(I.providerGuid, ValueType.guid) },
  ];
  if (withEventSourceName) providerAttributes.push({ name: 'EventSourceName', value: opt(I.eventSourceName, ValueType.string) });
  const system = el('System', [], [
    el('Provider', providerAttributes),
    el('EventID', [{ name: 'Qualifiers', value: opt(I.qualifiers, ValueType.uint16) }], [opt(I.eventId, ValueType.uint16)]),
    el('Version', [], [opt(I.version, ValueType.uint8)]),
    el('Level', [], [opt(I.level, ValueType.uint8)]),
    el('Task', [], [opt(I.task, ValueType.uint16)]),
    el('Opcode', [], [opt(I.opcode, ValueType.uint8)]),
    el('Keywords', [], [opt(I.keywords, ValueType.hexInt64)]),
    el('TimeCreated', [{ name: 'SystemTime', value: opt(I.systemTime, ValueType.fileTime) }]),
    el('EventRecordID', [], [opt(I.eventRecordId, ValueType.uint64)]),
    el('Correlation', [
      { name: 'ActivityID', value: opt(I.activityId, ValueType.guid) },
      { name: 'RelatedActivityID', value: opt(I.relatedActivityId, ValueType.guid) },
    ]),
    el('Execution', [
      { name: 'ProcessID', value: opt(I.processId, ValueType.uint32) },
      { name: 'ThreadID', value: opt(I.threadId, ValueType.uint32) },
    ]),
    el('Channel', [], [opt(I.channel, ValueType.string)]),
    el('Computer', [], [text(computer)]),
    el('Security', [{ name: 'UserID', value: opt(I.userId, ValueType.sid) }]),
  ]);
  const root = el('Event', [{ name: 'xmlns', value: text(EVENT_XMLNS) }], [system, opt(I.payload, ValueType.binXml)]);
  return makeShape(`system\u0000${withEventSourceName ? 1 : 0}\u0000${computer}`, root, withEventSourceName ? 19 : 18);
}

/** Declared type of a payload field: the value's own type, strings for nulls. */
function declaredType(valueType: number): number {
  return valueType === ValueType.null ? ValueType.string : valueType;
}

/** `<EventData>` template for one provider/event/version and its field names and types. */
export function eventDataShape(
  owner: string,
  fields: ReadonlyArray<readonly [name: string, valueType: number]>,
): TemplateShape {
  const children = fields.map(([name, valueType], i) =>
    el('Data', name === '' ? [] : [{ name: 'Name', value: text(name) }], [normal(i, declaredType(valueType))]),
  );
  const key = `eventdata\u0000${owner}\u0000${fields.map(([n, t]) => `${n}\u0001${declaredType(t)}`).join('\u0000')}`;
  return makeShape(key, el('EventData', [], children), fields.length);
}

/** `<UserData><element xmlns=...>` template. */
export function userDataShape(
  owner: string,
  element: string,
  xmlns: string | undefined,
  fields: ReadonlyArray<readonly [name: string, valueType: number]>,
): TemplateShape {
  const children = fields.map(([name, valueType], i) => el(name, [], [normal(i, declaredType(valueType))]));
  const inner = el(element, xmlns === undefined ? [] : [{ name: 'xmlns', value: text(xmlns) }], children);
  const key =
    `userdata\u0000${owner}\u0000${element}\u0000${xmlns ?? ''}\u0000` +
    fields.map(([n, t]) => `${n}\u0001${declaredType(t)}`).join('\u0000');
  return makeShape(key, el('UserData', [], [inner]), fields.length);
}
