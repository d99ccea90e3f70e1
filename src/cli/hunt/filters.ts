/**
 * The filters of `vigil hunt`, as users of Hayabusa and Chainsaw expect them:
 *  - rule filters, applied once at load (`--min-level`, `--status`, include/exclude by id, tag or
 *    file; `--detection-type` for Splunk-style detections). A rule filtered out is never dropped
 *    silently: it comes back with the reason, for the summary and `--summary-json`.
 *  - event filters, applied to every event before any rule sees it (`--from`/`--to`,
 *    `--channel`, `--event-id`). They are plain data so worker threads get the same ones.
 */
import type { VigilEvent } from '../../core/event.js';
import type { Detection } from '../../content/index.js';
import type { Level } from '../../ir/nodes.js';
import { type ParsedArgs, type OptionSpec, stringOption } from '../args.js';
import { UsageError } from '../command.js';
import { isoMillis, parseTimeBound, type TimeZoneSpec } from '../output/time-format.js';

// ---------------------------------------------------------------------------------------------
// Option values

/** Options this module reads (spread into the command's option table). */
export const FILTER_OPTIONS: OptionSpec = {
  from: { type: 'string' },
  to: { type: 'string' },
  channel: { type: 'string', multiple: true },
  'event-id': { type: 'string', multiple: true },
  'min-level': { type: 'string' },
  status: { type: 'string', multiple: true },
  'include-id': { type: 'string', multiple: true },
  'exclude-id': { type: 'string', multiple: true },
  'include-tag': { type: 'string', multiple: true },
  'exclude-tag': { type: 'string', multiple: true },
  'exclude-file': { type: 'string', multiple: true },
  'detection-type': { type: 'string', multiple: true },
};

/** Caps so a hostile command line cannot make filtering slow. */
const MAX_VALUES = 10_000;
const MAX_GLOB_LENGTH = 512;
const MAX_GLOB_STARS = 16;

/** The values of a repeatable option, each split at commas (`--status stable,test --status experimental`). */
export function listValues(args: ParsedArgs, name: string): string[] {
  const raw = args.values[name] as unknown;
  const given = Array.isArray(raw) ? raw.filter((x): x is string => typeof x === 'string') : typeof raw === 'string' ? [raw] : [];
  const out = given.flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v.length > 0);
  if (out.length > MAX_VALUES) throw new UsageError(`--${name}: at most ${MAX_VALUES} values`);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Rule filters

export const LEVEL_ORDER: readonly Level[] = ['informational', 'low', 'medium', 'high', 'critical'];
const LEVEL_ALIASES: Readonly<Record<string, Level>> = { info: 'informational', informational: 'informational', low: 'low', medium: 'medium', med: 'medium', high: 'high', critical: 'critical', crit: 'critical' };

/** Rule statuses left out unless asked for (as Hayabusa does). */
export const DEFAULT_EXCLUDED_STATUSES: readonly string[] = ['deprecated', 'unsupported'];

export interface RuleFilter {
  readonly minLevel: Level | null;
  /** Statuses kept; `default` keeps all but deprecated and unsupported; `all` keeps every one. */
  readonly statuses: 'default' | 'all' | readonly string[];
  readonly includeIds: readonly string[];
  readonly excludeIds: readonly string[];
  readonly includeTags: readonly string[];
  readonly excludeTags: readonly string[];
  readonly excludeFiles: readonly string[];
  /** Splunk-style detection types kept (TTP, Anomaly, Hunting...); empty keeps all. */
  readonly detectionTypes: readonly string[];
}

export const NO_RULE_FILTER: RuleFilter = Object.freeze({
  minLevel: null,
  statuses: 'default',
  includeIds: [],
  excludeIds: [],
  includeTags: [],
  excludeTags: [],
  excludeFiles: [],
  detectionTypes: [],
});

/** What a rule filter looks at, for Sigma rules and Splunk-style detections alike. */
export interface RuleFacts {
  readonly id: string;
  /** Null for content without levels (Splunk-style detections): never excluded by level. */
  readonly level: Level | null;
  /** Null when the rule states none: never excluded by status. */
  readonly status: string | null;
  readonly tags: readonly string[];
  readonly file: string;
  /** Splunk-style detection type; null for Sigma rules. */
  readonly type: string | null;
}

export type ExclusionReason = 'id' | 'file' | 'tag' | 'status' | 'level' | 'type';

export interface RuleExclusion {
  readonly reason: ExclusionReason;
  readonly message: string;
}

export function parseLevel(text: string, option = 'min-level'): Level {
  const l = LEVEL_ALIASES[text.toLowerCase()];
  if (l === undefined) throw new UsageError(`--${option} must be one of ${LEVEL_ORDER.join(', ')} (got '${text}')`);
  return l;
}

/** Reads the rule filter options; throws UsageError on a bad value. */
export function ruleFilterFromArgs(args: ParsedArgs): RuleFilter {
  const level = stringOption(args, 'min-level');
  const statuses = listValues(args, 'status').map((s) => s.toLowerCase());
  const globs = listValues(args, 'exclude-file');
  for (const g of globs) globRegExp(g); // reject a bad glob before loading anything
  return {
    minLevel: level === undefined ? null : parseLevel(level),
    statuses: statuses.length === 0 ? 'default' : statuses.includes('all') ? 'all' : statuses,
    includeIds: listValues(args, 'include-id').map((s) => s.toLowerCase()),
    excludeIds: listValues(args, 'exclude-id').map((s) => s.toLowerCase()),
    includeTags: listValues(args, 'include-tag').map(normaliseTag),
    excludeTags: listValues(args, 'exclude-tag').map(normaliseTag),
    excludeFiles: globs,
    detectionTypes: listValues(args, 'detection-type').map((s) => s.toLowerCase()),
  };
}

/**
 * Tags compare without case, with `-`, spaces and `_` alike (`attack.defense-evasion` and the
 * older `attack.defense_evasion`; a story name `IIS Components`), and a bare technique id
 * (`T1505.004`) stands for its `attack.` tag.
 */
export function normaliseTag(tag: string): string {
  const t = tag.trim().toLowerCase().replace(/[\s_-]+/g, '_');
  return /^t\d{4}(\.\d{3})?$/.test(t) ? `attack.${t}` : t;
}

/** A filter tag matches the tag itself and the tags below it (`attack.t1505` matches `attack.t1505.004`). */
function tagMatches(filterTag: string, ruleTag: string): boolean {
  return ruleTag === filterTag || (ruleTag.startsWith(filterTag) && ruleTag[filterTag.length] === '.');
}

function firstMatchingTag(filterTags: readonly string[], ruleTags: readonly string[]): string | null {
  for (const f of filterTags) if (ruleTags.some((t) => tagMatches(f, t))) return f;
  return null;
}

const globCache = new Map<string, RegExp>();

/**
 * A file glob: `*` and `?` stay within a path segment, `**` crosses segments. Without a `/` it
 * is matched against the file's name; with one, against the path or any trailing part of it.
 */
export function globRegExp(glob: string): RegExp {
  const cached = globCache.get(glob);
  if (cached !== undefined) return cached;
  if (glob.length > MAX_GLOB_LENGTH) throw new UsageError(`--exclude-file: glob longer than ${MAX_GLOB_LENGTH} characters`);
  if ((glob.match(/\*/g) ?? []).length > MAX_GLOB_STARS) throw new UsageError(`--exclude-file: more than ${MAX_GLOB_STARS} '*' in '${glob}'`);
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i] as string;
    if (ch === '*' && glob[i + 1] === '*') {
      source += '.*';
      i++;
      if (glob[i + 1] === '/') i++; // `**/` also matches no folder at all
    } else if (ch === '*') source += '[^/]*';
    else if (ch === '?') source += '[^/]';
    else source += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  const re = new RegExp(`^${source}$`, 'i');
  if (globCache.size < 256) globCache.set(glob, re);
  return re;
}

export function fileMatchesGlob(file: string, glob: string): boolean {
  const re = globRegExp(glob);
  const p = file.replace(/\\/g, '/');
  if (!glob.includes('/')) return re.test(p.slice(p.lastIndexOf('/') + 1));
  if (re.test(p)) return true;
  for (let at = p.indexOf('/'); at >= 0; at = p.indexOf('/', at + 1)) if (re.test(p.slice(at + 1))) return true;
  return false;
}

/** Why `filter` leaves a rule out, or null when it keeps it. Excludes win over includes. */
export function ruleExclusion(filter: RuleFilter, rule: RuleFacts): RuleExclusion | null {
  const id = rule.id.toLowerCase();
  if (filter.excludeIds.includes(id)) return { reason: 'id', message: `id ${rule.id} is excluded (--exclude-id)` };
  if (filter.includeIds.length > 0 && !filter.includeIds.includes(id)) return { reason: 'id', message: `id ${rule.id} is not among --include-id` };
  const glob = filter.excludeFiles.find((g) => fileMatchesGlob(rule.file, g));
  if (glob !== undefined) return { reason: 'file', message: `file matches --exclude-file ${glob}` };
  const tags = rule.tags.map(normaliseTag);
  const excludedTag = firstMatchingTag(filter.excludeTags, tags);
  if (excludedTag !== null) return { reason: 'tag', message: `tag ${excludedTag} is excluded (--exclude-tag)` };
  if (filter.includeTags.length > 0 && firstMatchingTag(filter.includeTags, tags) === null) {
    return { reason: 'tag', message: `no tag among --include-tag ${filter.includeTags.join(',')}` };
  }
  if (rule.type !== null && filter.detectionTypes.length > 0 && !filter.detectionTypes.includes(rule.type.toLowerCase())) {
    return { reason: 'type', message: `type ${rule.type} is not among --detection-type` };
  }
  const status = rule.status?.toLowerCase() ?? null;
  if (status !== null) {
    const s = filter.statuses;
    if (s === 'default' && DEFAULT_EXCLUDED_STATUSES.includes(status)) {
      return { reason: 'status', message: `status ${status} is left out by default (--status all or --status ${status} to run it)` };
    }
    if (s !== 'default' && s !== 'all' && !s.includes(status)) return { reason: 'status', message: `status ${status} is not among --status ${s.join(',')}` };
  }
  if (rule.level !== null && filter.minLevel !== null && LEVEL_ORDER.indexOf(rule.level) < LEVEL_ORDER.indexOf(filter.minLevel)) {
    return { reason: 'level', message: `level ${rule.level} is below --min-level ${filter.minLevel}` };
  }
  return null;
}

/**
 * What a Splunk-style detection offers the rule filters: its ATT&CK ids (`T1505.004` →
 * `attack.t1505.004`) and analytic story names as tags, its status and type; no level.
 */
export function detectionFacts(d: Detection): RuleFacts {
  return {
    id: d.id,
    level: null,
    status: d.status,
    tags: [...d.tags.mitreAttackId, ...d.tags.analyticStory],
    file: d.origin.file,
    type: d.type,
  };
}

/** The rule filter as `loadContentSet` takes it. */
export function detectionFilter(filter: RuleFilter): { exclude: (d: Detection) => RuleExclusion | null; includeDeprecated: boolean } {
  const s = filter.statuses;
  return {
    exclude: (d) => ruleExclusion(filter, detectionFacts(d)),
    includeDeprecated: s === 'all' || (s !== 'default' && s.includes('deprecated')),
  };
}

// ---------------------------------------------------------------------------------------------
// Event filters

/** Plain data (cloned into worker threads). Times are epoch milliseconds, both ends inclusive. */
export interface EventFilterSpec {
  readonly from: number | null;
  readonly to: number | null;
  /** Channel names, lower-cased; empty keeps every channel. */
  readonly channels: readonly string[];
  readonly eventIds: readonly number[];
}

/** Events left out, by the first filter that left them out, and events kept for want of a time. */
export interface EventFilterCounts {
  time: number;
  channel: number;
  eventId: number;
  /** Kept although a time range was given: the event has no (readable) time. */
  untimed: number;
}

export function emptyFilterCounts(): EventFilterCounts {
  return { time: 0, channel: 0, eventId: 0, untimed: 0 };
}

export function filteredTotal(c: EventFilterCounts): number {
  return c.time + c.channel + c.eventId;
}

export function addFilterCounts(into: EventFilterCounts, c: EventFilterCounts): void {
  into.time += c.time;
  into.channel += c.channel;
  into.eventId += c.eventId;
  into.untimed += c.untimed;
}

/** Reads `--from`, `--to`, `--channel`, `--event-id` (times without an offset are in `tz`). */
export function eventFilterFromArgs(args: ParsedArgs, tz: TimeZoneSpec, now: number = Date.now()): EventFilterSpec | null {
  const bound = (name: 'from' | 'to'): number | null => {
    const v = stringOption(args, name);
    if (v === undefined) return null;
    try {
      return parseTimeBound(v, name, tz, now);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  };
  const from = bound('from');
  const to = bound('to');
  if (from !== null && to !== null && from > to) throw new UsageError(`--from is after --to: no event could be kept`);
  const eventIds = listValues(args, 'event-id').map((v) => {
    if (!/^\d{1,5}$/.test(v) || Number(v) > 65535) throw new UsageError(`--event-id takes event ids from 0 to 65535 (got '${v}')`);
    return Number(v);
  });
  const channels = listValues(args, 'channel').map((c) => c.toLowerCase());
  const spec: EventFilterSpec = { from, to, channels, eventIds };
  return isEmptyEventFilter(spec) ? null : spec;
}

export function isEmptyEventFilter(s: EventFilterSpec): boolean {
  return s.from === null && s.to === null && s.channels.length === 0 && s.eventIds.length === 0;
}

/** Decides per event: true to keep. Counts what it leaves out (and untimed events it keeps). */
export type EventGate = (event: VigilEvent, counts: EventFilterCounts) => boolean;

/**
 * The cheap tests first: EventID (a number), channel (one string compare), then the time
 * (parsed only for events that got that far).
 */
export function eventGate(spec: EventFilterSpec): EventGate {
  const ids = spec.eventIds.length > 0 ? new Set(spec.eventIds) : null;
  const channels = spec.channels.length > 0 ? new Set(spec.channels) : null;
  const timed = spec.from !== null || spec.to !== null;
  const from = spec.from ?? -Infinity;
  const to = spec.to ?? Infinity;
  return (event, counts) => {
    if (ids !== null && (event.eventId === null || !ids.has(event.eventId))) {
      counts.eventId++;
      return false;
    }
    if (channels !== null && (event.channel === null || !channels.has(event.channel.toLowerCase()))) {
      counts.channel++;
      return false;
    }
    if (timed) {
      const ms = event.time === null ? null : isoMillis(event.time);
      if (ms === null) {
        counts.untimed++;
        return true;
      }
      if (ms < from || ms > to) {
        counts.time++;
        return false;
      }
    }
    return true;
  };
}
