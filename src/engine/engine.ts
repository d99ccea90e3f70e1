/**
 * The engine: detection rules compiled once into predicates, a routing index over their
 * variants, and the correlation states fed by the rules they reference.
 */
import type { FieldValue, VigilEvent } from '../core/event.js';
import type { CorrelationRule, DetectionRule, Rule, Scope } from '../ir/nodes.js';
import { CompileError, ExprCompiler, referencedFields, type KeywordNeedle, type MatchCounters, type Predicate } from './compile-expr.js';
import {
  CorrelationState,
  DEFAULT_CORRELATION_OPTIONS,
  parseEventTime,
  type CorrelationOptions,
  type CorrelationStats,
} from './correlation.js';
import { EventContext, FieldSlots } from './event-context.js';
import type { CorrelationFeed, Emit, EventRef } from './finding.js';
import { GateIndex, gateOf, type GateKey } from './gate.js';
import { NeedleRegistry, type NeedleIndex, type TextScanner } from './needles.js';
import { RoutingIndex } from './routing.js';

export interface EngineOptions {
  readonly correlation?: Partial<CorrelationOptions>;
}

export interface EngineStats extends MatchCounters {
  events: number;
  /** Rule evaluations after routing (variants tested). */
  variantsTested: number;
  matches: number;
  readonly correlation: CorrelationStats;
}

export interface CompileProblem {
  readonly ruleId: string;
  readonly message: string;
}

interface CompiledRule {
  readonly rule: DetectionRule;
  readonly fields: readonly string[];
  /** False when every correlation referencing the rule has `generate: false`. */
  emitOwn: boolean;
  readonly feeds: CorrelationState[];
  /** The event fields those correlations read from this rule's hits (a CorrelationFeed carries these). */
  readonly feedFields: string[];
}

interface CompiledVariant {
  readonly scope: Scope;
  readonly label: string;
  readonly owner: CompiledRule;
  readonly extra: Predicate | null;
  readonly condition: Predicate;
  /** Necessary literal tests (see gate.ts), or null when the variant is always evaluated. */
  readonly gate: readonly GateKey[] | null;
  /** Keyword substrings the variant reads (its route's keyword scan looks for these only). */
  readonly keywords: readonly KeywordNeedle[];
}

interface Route {
  readonly variants: readonly CompiledVariant[];
  readonly gates: GateIndex;
  /** Keyword indexes narrowed, for this route's events, to the needles its variants read. */
  readonly narrowings: readonly { readonly index: NeedleIndex; readonly scanner: TextScanner }[];
}

/** Per keyword index, a scanner for just the needles these variants read. */
function keywordNarrowings(variants: readonly CompiledVariant[]): Route['narrowings'] {
  const byIndex = new Map<NeedleIndex, Set<number>>();
  for (const v of variants) {
    for (const k of v.keywords) {
      let ids = byIndex.get(k.index);
      if (ids === undefined) byIndex.set(k.index, (ids = new Set()));
      ids.add(k.id);
    }
  }
  return [...byIndex].map(([index, ids]) => ({ index, scanner: index.scannerFor(ids) }));
}

const ADVANCE_EVERY = 1024;

export class Engine {
  readonly stats: EngineStats;
  private readonly ctx: EventContext;
  private watermark = Number.NEGATIVE_INFINITY;
  private sinceAdvance = 0;
  /** Set by `holdFeeds`: hits that feed correlations collect here instead of feeding this engine's state. */
  private held: CorrelationFeed[] | null = null;

  /** Built by compileRules. */
  constructor(
    slots: FieldSlots,
    stats: EngineStats,
    private readonly routing: RoutingIndex<CompiledVariant, Route>,
    /** Children before parents, for flush. */
    private readonly correlations: readonly CorrelationState[],
    private readonly lateness: number,
    readonly ruleCount: { readonly detection: number; readonly correlation: number },
    /** Detection rules whose hits feed correlations, by id. */
    private readonly feeders: ReadonlyMap<string, CompiledRule>,
  ) {
    this.ctx = new EventContext(slots);
    this.stats = stats;
  }

  process(event: VigilEvent, emit: Emit): void {
    this.stats.events++;
    const route = this.routing.route(event.eventId, event.channel, event.provider);
    const candidates = route.variants;
    if (candidates.length > 0) {
      const ctx = this.ctx;
      ctx.reset(event.fields, event.fieldValues ?? null);
      for (const n of route.narrowings) n.index.narrow(n.scanner);
      const gates = route.gates;
      const count = gates.open(ctx);
      const open = gates.opened;
      let lastFired: CompiledRule | null = null;
      for (let k = 0; k < count; k++) {
        const v = candidates[open[k]!]!;
        if (v.owner === lastFired) continue; // one finding per rule and event
        this.stats.variantsTested++;
        if (v.extra !== null && !v.extra(ctx)) continue;
        if (!v.condition(ctx)) continue;
        lastFired = v.owner;
        this.onMatch(v, event, emit);
      }
    }
    if (this.correlations.length > 0 && Number.isFinite(this.lateness) && this.held === null) this.advanceTo(event.time, emit);
  }

  /** With a finite lateness: moves the watermark to `time` and, now and then, closes windows behind it. */
  private advanceTo(time: string | null, emit: Emit): void {
    const t = parseEventTime(time);
    if (t !== null && t > this.watermark) this.watermark = t;
    if (++this.sinceAdvance >= ADVANCE_EVERY) {
      this.sinceAdvance = 0;
      for (const c of this.correlations) c.advance(this.watermark - this.lateness, emit);
    }
  }

  /** End of input: judges every open correlation window. */
  flush(emit: Emit): void {
    for (const c of this.correlations) c.flush(emit);
  }

  /** Whether some rule's hits feed a correlation. */
  get feedsCorrelations(): boolean {
    return this.feeders.size > 0;
  }

  /**
   * From now on, hits that feed correlations are held as CorrelationFeeds (`takeFeeds`) for
   * another engine to add, and this engine's correlations see nothing: a hunt worker's engine,
   * whose hits the main thread's engine correlates with every other thread's.
   */
  holdFeeds(): void {
    this.held ??= [];
  }

  /** The feeds held since the last call (see `holdFeeds`). */
  takeFeeds(): CorrelationFeed[] {
    const feeds = this.held ?? [];
    if (this.held !== null) this.held = [];
    return feeds;
  }

  /** Adds hits another engine held (same rules) to this engine's correlations. */
  addFeeds(feeds: readonly CorrelationFeed[], emit: Emit): void {
    for (const feed of feeds) {
      const rule = this.feeders.get(feed.ruleId);
      if (rule === undefined) throw new Error(`a correlation feed names rule ${feed.ruleId}, which feeds no correlation here`);
      const fields = feed.fields;
      for (const c of rule.feeds) c.add({ ruleId: feed.ruleId, time: feed.time, field: (name) => fields[name], refs: [feed.ref] }, emit);
      if (Number.isFinite(this.lateness)) this.advanceTo(feed.time, emit);
    }
  }

  private onMatch(v: CompiledVariant, event: VigilEvent, emit: Emit): void {
    this.stats.matches++;
    const owner = v.owner;
    if (owner.emitOwn) {
      const matched: Record<string, FieldValue> = {};
      for (const f of owner.fields) {
        const value = event.fields[f];
        if (value !== undefined) matched[f] = value;
      }
      emit({ kind: 'match', rule: owner.rule.meta, variant: v.label, event, matched });
    }
    if (owner.feeds.length > 0) {
      const ref: EventRef = {
        file: event.provenance.file,
        recordId: event.provenance.recordId,
        time: event.time,
        ruleId: owner.rule.meta.id,
      };
      if (this.held !== null) {
        const fields: Record<string, FieldValue> = {};
        for (const f of owner.feedFields) {
          const value = event.fields[f];
          if (value !== undefined) fields[f] = value;
        }
        this.held.push({ ruleId: owner.rule.meta.id, time: event.time, fields, ref });
        return;
      }
      for (const c of owner.feeds) {
        c.add({ ruleId: owner.rule.meta.id, time: event.time, field: (name) => event.fields[name], refs: [ref] }, emit);
      }
    }
  }
}

export function compileRules(
  rules: readonly Rule[],
  options: EngineOptions = {},
): { engine: Engine; problems: CompileProblem[] } {
  const problems: CompileProblem[] = [];
  const correlationOptions: CorrelationOptions = { ...DEFAULT_CORRELATION_OPTIONS, ...options.correlation };
  const slots = new FieldSlots();
  const counters: EngineStats = {
    events: 0,
    variantsTested: 0,
    matches: 0,
    regexInputsTruncated: 0,
    correlation: { groupsEvicted: 0, eventsEvicted: 0, untimedEvents: 0, windowsJudged: 0, findings: 0 },
  };
  const needles = new NeedleRegistry();
  const compiler = new ExprCompiler(slots, counters, needles);

  // Detection rules.
  const detections = new Map<string, CompiledRule>();
  const variants: CompiledVariant[] = [];
  for (const rule of rules) {
    if (rule.kind !== 'detection') continue;
    const id = rule.meta.id;
    if (detections.has(id)) problems.push({ ruleId: id, message: `duplicate rule id ${id}: correlations see the first rule` });
    try {
      if (rule.variants.length === 0) throw new CompileError('rule has no variant (no log source scope)');
      const owner: CompiledRule = { rule, fields: [], emitOwn: true, feeds: [], feedFields: [] };
      const fields = new Set<string>();
      const compiled: CompiledVariant[] = rule.variants.map((v) => {
        referencedFields(v.condition, fields);
        const keywords: KeywordNeedle[] = [];
        compiler.keywordNeedles = keywords;
        try {
          return {
            scope: v.scope,
            label: v.label,
            owner,
            extra: v.scope.extra === null ? null : compiler.compile(v.scope.extra).test,
            condition: compiler.compile(v.condition).test,
            gate: gateOf(v.condition),
            keywords,
          };
        } finally {
          compiler.keywordNeedles = null;
        }
      });
      (owner.fields as string[]).push(...fields);
      variants.push(...compiled);
      if (!detections.has(id)) detections.set(id, owner);
    } catch (e) {
      if (!(e instanceof CompileError)) throw e;
      problems.push({ ruleId: id, message: e.message });
    }
  }

  // Correlation rules: resolve references (ids, then names), reject unknown ones and cycles.
  const correlationRules = rules.filter((r): r is CorrelationRule => r.kind === 'correlation');
  const byName = new Map<string, string>();
  for (const r of rules) if (r.meta.name !== undefined) byName.set(r.meta.name, r.meta.id);
  const correlationById = new Map(correlationRules.map((r) => [r.meta.id, r]));
  const resolve = (ref: string): string => (detections.has(ref) || correlationById.has(ref) ? ref : (byName.get(ref) ?? ref));
  const order: CorrelationRule[] = [];
  const status = new Map<string, 'visiting' | 'ok' | 'bad'>();
  const failed = new Set<string>();
  const visit = (rule: CorrelationRule): boolean => {
    const id = rule.meta.id;
    const s = status.get(id);
    if (s === 'ok') return true;
    if (s === 'bad') return false;
    if (s === 'visiting') {
      problems.push({ ruleId: id, message: 'correlation references itself through a cycle' });
      return false;
    }
    status.set(id, 'visiting');
    let good = true;
    const problem = (message: string): void => {
      problems.push({ ruleId: id, message });
      good = false;
    };
    if (rule.rules.length === 0) problem('correlation references no rule');
    if (rule.condition === null && rule.type !== 'temporal' && rule.type !== 'temporal_ordered') {
      problem(`correlation type ${rule.type} needs a condition`);
    }
    if (!(rule.timespanMs > 0) || !Number.isFinite(rule.timespanMs)) problem(`invalid timespan ${rule.timespanMs} ms`);
    if (rule.type !== 'event_count' && rule.type !== 'temporal' && rule.type !== 'temporal_ordered' && rule.fields.length === 0) {
      problem(`correlation type ${rule.type} needs a field`);
    }
    for (const ref of rule.rules) {
      const target = resolve(ref);
      const child = correlationById.get(target);
      if (child !== undefined) {
        if (!visit(child)) problem(`referenced correlation ${ref} is not loaded`);
      } else if (!detections.has(target)) {
        problem(`referenced rule ${ref} is unknown or not loaded`);
      }
    }
    status.set(id, good ? 'ok' : 'bad');
    if (good) order.push(rule);
    else failed.add(id);
    return good;
  };
  for (const r of correlationRules) visit(r);

  const states = new Map<string, CorrelationState>();
  const generating = new Map<string, boolean>(); // referenced id → some referrer generates
  for (const r of order) {
    const normalized: CorrelationRule = { ...r, rules: r.rules.map(resolve) };
    for (const ref of normalized.rules) generating.set(ref, (generating.get(ref) ?? false) || r.generate);
  }
  for (const r of order) {
    const normalized: CorrelationRule = { ...r, rules: r.rules.map(resolve) };
    const emitOwn = generating.get(r.meta.id) ?? true;
    const state = new CorrelationState(normalized, correlationOptions, counters.correlation, emitOwn);
    states.set(r.meta.id, state);
    for (const ref of normalized.rules) {
      const child = states.get(ref);
      if (child !== undefined) child.parents.push(state);
      else detections.get(ref)?.feeds.push(state);
    }
  }
  const feeders = new Map<string, CompiledRule>();
  for (const [id, rule] of detections) {
    const g = generating.get(id);
    if (g !== undefined) rule.emitOwn = g;
    if (rule.feeds.length === 0) continue;
    feeders.set(id, rule);
    rule.feedFields.push(...new Set(rule.feeds.flatMap((c) => c.fieldsRead(id))));
  }

  const engine = new Engine(
    slots,
    counters,
    new RoutingIndex<CompiledVariant, Route>(variants, (list) => ({
      variants: list,
      gates: new GateIndex(
        list.map((v) => v.gate),
        slots,
        needles,
      ),
      narrowings: keywordNarrowings(list),
    })),
    order.map((r) => states.get(r.meta.id)!),
    correlationOptions.maxLatenessMs,
    { detection: detections.size, correlation: states.size },
    feeders,
  );
  return { engine, problems };
}
