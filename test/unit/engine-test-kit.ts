/** Hand-built IR and events for the engine tests (the Sigma front end is not involved). */
import type { FieldValue, Fields, VigilEvent } from '../../src/core/event.js';
import { compileRules, type EngineOptions, type Finding } from '../../src/engine/index.js';
import type {
  CorrelationRule,
  DetectionRule,
  DetectionVariant,
  Expr,
  PatternPart,
  Rule,
  RuleMeta,
  Scope,
  ValueMatch,
} from '../../src/ir/nodes.js';

export const SYSMON_CHANNEL = 'Microsoft-Windows-Sysmon/Operational';
export const SYSMON_PROVIDER = 'Microsoft-Windows-Sysmon';

/** Parses a Sigma-like pattern: `*` any, `?` one, everything else literal. */
export function parts(pattern: string): PatternPart[] {
  const out: PatternPart[] = [];
  let text = '';
  for (const c of pattern) {
    if (c === '*' || c === '?') {
      if (text !== '') out.push({ kind: 'text', text });
      text = '';
      out.push({ kind: c === '*' ? 'any' : 'one' });
    } else text += c;
  }
  if (text !== '') out.push({ kind: 'text', text });
  return out;
}

export const pat = (pattern: string, cased = false): ValueMatch => ({ kind: 'pattern', parts: parts(pattern), cased });
export const lit = (text: string, cased = false): ValueMatch => ({ kind: 'pattern', parts: [{ kind: 'text', text }], cased });
export const field = (name: string, match: ValueMatch): Expr => ({ kind: 'field', field: name, match });
export const and = (...items: Expr[]): Expr => ({ kind: 'and', items });
export const or = (...items: Expr[]): Expr => ({ kind: 'or', items });
export const not = (item: Expr): Expr => ({ kind: 'not', item });

export function meta(id: string, extra: Partial<RuleMeta> = {}): RuleMeta {
  return { id, title: `rule ${id}`, level: 'medium', tags: [], origin: 'sigma', source: { file: 'test.yml' }, ...extra };
}

export function scope(s: Partial<Scope> = {}): Scope {
  return { channels: [], providers: [], eventIds: [], extra: null, ...s };
}

export function detection(id: string, condition: Expr, variants?: DetectionVariant[], name?: string): DetectionRule {
  return {
    kind: 'detection',
    meta: meta(id, name === undefined ? {} : { name }),
    logsource: {},
    variants: variants ?? [{ label: 'any', scope: scope(), condition }],
    outputFields: [],
  };
}

export function correlation(id: string, c: Partial<CorrelationRule> & Pick<CorrelationRule, 'type' | 'rules'>): CorrelationRule {
  return {
    kind: 'correlation',
    meta: meta(id),
    groupBy: [],
    timespanMs: 60_000,
    condition: null,
    fields: [],
    aliases: {},
    generate: false,
    ...c,
  };
}

let nextRecord = 1;

export interface EventSpec {
  readonly channel?: string | null;
  readonly provider?: string | null;
  readonly eventId?: number | null;
  readonly time?: string | null;
  readonly file?: string;
  readonly recordId?: number;
}

export function event(fields: Record<string, FieldValue>, spec: EventSpec = {}): VigilEvent {
  const channel = spec.channel === undefined ? SYSMON_CHANNEL : spec.channel;
  const provider = spec.provider === undefined ? SYSMON_PROVIDER : spec.provider;
  const eventId = spec.eventId === undefined ? 1 : spec.eventId;
  const all: Fields = {
    ...(channel === null ? {} : { Channel: channel }),
    ...(provider === null ? {} : { Provider_Name: provider }),
    ...(eventId === null ? {} : { EventID: eventId }),
    ...fields,
  };
  const recordId = spec.recordId ?? nextRecord++;
  return {
    fields: all,
    provenance: { file: spec.file ?? 'test.evtx', format: 'evtx', recordId, offset: 0 },
    time: spec.time === undefined ? '2024-01-01T00:00:00.000Z' : spec.time,
    channel,
    provider,
    eventId,
    computer: 'HOST',
    render: () => '',
  };
}

/** Runs rules over events (then flush) and returns the findings. */
export function run(rules: Rule[], events: VigilEvent[], options?: EngineOptions): { findings: Finding[]; problems: string[] } {
  const { engine, problems } = compileRules(rules, options);
  const findings: Finding[] = [];
  for (const e of events) engine.process(e, (f) => findings.push(f));
  engine.flush((f) => findings.push(f));
  return { findings, problems: problems.map((p) => `${p.ruleId}: ${p.message}`) };
}

/** Whether a single-expression rule (open scope) matches one event with these fields. */
export function matches(condition: Expr, fields: Record<string, FieldValue>): boolean {
  const { findings, problems } = run([detection('r', condition)], [event(fields)]);
  if (problems.length > 0) throw new Error(problems.join('; '));
  return findings.length === 1;
}

/** Minutes after 2024-01-01T00:00Z as ISO text. */
export function at(minutes: number): string {
  return new Date(Date.UTC(2024, 0, 1) + minutes * 60_000).toISOString();
}
