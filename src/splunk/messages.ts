/**
 * Classic-text fields synthesised for XML events (`mappings/splunk/messages.yml`): the `OpCode`
 * name of the System Opcode number, and `Message` from a template per provider and event id.
 */
import { isMap, isScalar, isSeq, type YAMLMap } from 'yaml';
import { LocatedError } from '../core/diagnostics.js';
import type { Fields, FieldScalar, FieldValue } from '../core/event.js';
import { readYamlFile } from './yaml-file.js';
import type { YamlData } from '../core/yaml-data.js';

type TemplatePart = { readonly kind: 'text'; readonly text: string } | { readonly kind: 'field'; readonly name: string };

export interface MessageTable {
  readonly opcodes: ReadonlyMap<number, string>;
  /** Key: `provider-lower-case|event id`. */
  readonly templates: ReadonlyMap<string, readonly TemplatePart[]>;
}

function fail(y: YamlData, node: unknown, message: string): never {
  throw new LocatedError('splunk.messages', message, y.where(node));
}

export function templateKey(provider: string, eventId: number): string {
  return `${provider.toLowerCase()}|${eventId}`;
}

function parseTemplate(y: YamlData, node: unknown, text: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let last = 0;
  for (const m of text.matchAll(/\{([^{}]+)\}/g)) {
    const at = m.index ?? 0;
    if (at > last) parts.push({ kind: 'text', text: text.slice(last, at) });
    parts.push({ kind: 'field', name: m[1]!.trim() });
    last = at + m[0].length;
  }
  if (last < text.length) parts.push({ kind: 'text', text: text.slice(last) });
  if (!parts.some((p) => p.kind === 'field')) fail(y, node, `message template '${text}' names no field`);
  return parts;
}

export function loadMessages(file: string): MessageTable {
  const y = readYamlFile(file, 'splunk.messages');
  const root = y.root;
  if (!isMap(root)) fail(y, root, 'the messages file must be a mapping');
  const opcodes = new Map<number, string>();
  const opNode = (root as YAMLMap).get('opcodes', true);
  if (opNode !== undefined) {
    if (!isMap(opNode)) fail(y, opNode, '`opcodes` must map numbers to names');
    for (const pair of (opNode as YAMLMap).items) {
      const n = isScalar(pair.key) ? Number(pair.key.value) : Number.NaN;
      if (!Number.isInteger(n) || !isScalar(pair.value) || typeof pair.value.value !== 'string') fail(y, pair.key, 'opcodes: `number: Name` pairs');
      opcodes.set(n, pair.value.value);
    }
  }
  const templates = new Map<string, TemplatePart[]>();
  const list = (root as YAMLMap).get('messages', true);
  if (list !== undefined) {
    if (!isSeq(list)) fail(y, list, '`messages` must be a list');
    for (const item of list.items) {
      if (!isMap(item)) fail(y, item, 'each message is a mapping');
      const m = item as YAMLMap;
      const provider = m.get('provider');
      const eventId = m.get('event_id');
      const text = m.get('text');
      if (typeof provider !== 'string' || typeof eventId !== 'number' || !Number.isInteger(eventId) || typeof text !== 'string') {
        fail(y, item, 'a message needs `provider` (text), `event_id` (integer) and `text`');
      }
      const key = templateKey(provider, eventId);
      if (templates.has(key)) fail(y, item, `a second message for ${provider} ${eventId}`);
      templates.set(key, parseTemplate(y, m.get('text', true), text));
    }
  }
  return { opcodes, templates };
}

function firstText(v: FieldValue | undefined): string | null {
  if (v === undefined || v === null) return null;
  const s: FieldScalar | undefined = Array.isArray(v) ? (v as readonly FieldScalar[])[0] : (v as FieldScalar);
  return s === undefined || s === null || s === '' ? null : String(s);
}

/** The message text for an event's fields, or null when there is no template or a field is missing. */
export function renderMessage(table: MessageTable, provider: string | null, eventId: number | null, fields: Fields): string | null {
  if (provider === null || eventId === null) return null;
  const parts = table.templates.get(templateKey(provider, eventId));
  if (parts === undefined) return null;
  let out = '';
  for (const p of parts) {
    if (p.kind === 'text') out += p.text;
    else {
      const v = firstText(fields[p.name]);
      if (v === null) return null;
      out += v;
    }
  }
  return out;
}

/** The classic OpCode name of a numeric Opcode field, or null. */
export function opcodeName(table: MessageTable, opcode: FieldValue | undefined): string | null {
  const first = Array.isArray(opcode) ? (opcode as readonly FieldScalar[])[0] : (opcode as FieldScalar | undefined);
  const n = typeof first === 'number' ? first : typeof first === 'string' && first !== '' ? Number(first) : Number.NaN;
  return Number.isInteger(n) ? (table.opcodes.get(n) ?? null) : null;
}
