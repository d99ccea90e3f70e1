/**
 * A tiny stand-in for the Sigma front end and the engine, so the hunt CLI (output, summary,
 * threads, exit statuses) is tested on its own. Detection rules fire when an event's EventID is
 * in their scope; an event_count correlation counts its rules' matches and reports at flush.
 * Also a worker-thread engine module: it exports `compileRules` like src/engine/index.ts.
 */
import type { VigilEvent } from '../../src/core/event.js';
import type { CorrelationRule, DetectionRule, Level, Rule, RuleMeta } from '../../src/ir/nodes.js';
import type { EventRef, Finding, HuntBackend, HuntEngine, RuleReport } from '../../src/cli/hunt/api.js';

export function meta(id: string, title: string, level: Level, tags: string[] = []): RuleMeta {
  return { id, title, level, tags, origin: 'sigma', source: { file: `rules/${id}.yml`, line: 1 } };
}

export function detection(id: string, title: string, level: Level, eventIds: number[], tags: string[] = []): DetectionRule {
  return {
    kind: 'detection',
    meta: meta(id, title, level, tags),
    logsource: { product: 'windows' },
    variants: [
      {
        label: 'fake',
        scope: { channels: [], providers: [], eventIds, extra: null },
        condition: { kind: 'const', value: true },
      },
    ],
    outputFields: [],
  };
}

export function eventCount(id: string, title: string, rules: string[], gte: number): CorrelationRule {
  return {
    kind: 'correlation',
    meta: meta(id, title, 'critical'),
    type: 'event_count',
    rules,
    groupBy: ['Computer'],
    timespanMs: 24 * 3600 * 1000,
    condition: { op: 'gte', value: gte },
    fields: [],
    aliases: {},
    generate: false,
  };
}

/** Rules whose title contains BROKEN are refused by the fake engine. */
export function compileRules(rules: Rule[]): { engine: HuntEngine; problems: { ruleId: string; message: string }[] } {
  const problems = rules.filter((r) => r.meta.title.includes('BROKEN')).map((r) => ({ ruleId: r.meta.id, message: 'fake engine refuses this rule' }));
  // Like the real engine: a repeated id is reported, and both rules still run.
  const ids = new Set<string>();
  for (const r of rules) {
    if (ids.has(r.meta.id)) problems.push({ ruleId: r.meta.id, message: `duplicate rule id ${r.meta.id}: correlations see the first rule` });
    ids.add(r.meta.id);
  }
  const active = rules.filter((r) => !r.meta.title.includes('BROKEN'));
  const detections = active.filter((r): r is DetectionRule => r.kind === 'detection');
  const correlations = active.filter((r): r is CorrelationRule => r.kind === 'correlation');
  const seen = new Map<string, EventRef[]>();
  const engine: HuntEngine = {
    process(event: VigilEvent, emit: (f: Finding) => void): void {
      if (event.fields['Explode'] !== undefined) throw new Error('fake engine explodes');
      // Ends the thread it runs on: only ever given to hunt workers (worker-pool.test.ts).
      if (event.fields['EndThread'] !== undefined) process.exit(3);
      for (const rule of detections) {
        const variant = rule.variants.find((v) => event.eventId !== null && v.scope.eventIds.includes(event.eventId));
        if (variant === undefined) continue;
        emit({ kind: 'match', rule: rule.meta, variant: variant.label, event, matched: { EventID: event.eventId } });
        for (const c of correlations) {
          if (!c.rules.includes(rule.meta.id)) continue;
          const refs = seen.get(c.meta.id) ?? [];
          refs.push({ file: event.provenance.file, recordId: event.provenance.recordId, time: event.time, ruleId: rule.meta.id });
          seen.set(c.meta.id, refs);
        }
      }
    },
    flush(emit: (f: Finding) => void): void {
      for (const c of correlations) {
        const refs = seen.get(c.meta.id) ?? [];
        if (c.condition !== null && refs.length >= c.condition.value) {
          emit({ kind: 'correlation', rule: c.meta, group: { Computer: 'any' }, value: refs.length, first: refs[0]?.time ?? null, last: refs.at(-1)?.time ?? null, events: refs });
        }
      }
      seen.clear();
    },
  };
  return { engine, problems };
}

export function loadedReport(rule: Rule): RuleReport {
  return { file: rule.meta.source.file, line: 1, id: rule.meta.id, title: rule.meta.title, status: 'loaded', kind: rule.kind, problems: [] };
}

/** A backend that loads `rules` (whatever the paths) plus the extra `reports` given. */
export function fakeBackend(rules: Rule[], extraReports: RuleReport[] = []): () => Promise<HuntBackend> {
  return async () => ({
    load: async () => ({ rules, reports: [...rules.map(loadedReport), ...extraReports] }),
    compile: (r) => compileRules([...r]),
  });
}
