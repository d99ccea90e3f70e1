/**
 * The site model: every page's data, gathered once from the loaded content, the Sigma rules and
 * the ATT&CK catalog, with cross references resolved (story ↔ detection, technique → coverage).
 * Pages only read this; nothing here knows HTML.
 */
import type { ContentLoad, ContentMacroLookup, DataSource, Deployment, Detection, Macro, Story } from '../content/index.js';
import { contentFileStem, deploymentFor, macroLookup } from '../content/index.js';
import type { DetectionRule, Rule } from '../ir/nodes.js';
import type { AttackCatalog, AttackTactic, AttackTechnique } from '../risk/attack.js';
import { normalizeTechniqueId } from '../risk/attack.js';
import type { RuleReport, RuleSetLoad } from '../sigma/index.js';
import { findMacroUses, type MacroUse } from './macros.js';
import type { TestResults } from './test-results.js';

export interface TechniqueRef {
  /** As written (normalized when it is a technique id). */
  readonly id: string;
  /** Null when the id is not in the ATT&CK table. */
  readonly technique: AttackTechnique | null;
  readonly tactics: readonly AttackTactic[];
}

export interface DataSourceRef {
  readonly name: string;
  readonly source: DataSource | null;
}

export interface CatalogDetection {
  readonly kind: 'detection';
  readonly slug: string;
  readonly detection: Detection;
  readonly deployment: Deployment | null;
  /** The macro table of the content the detection came from. */
  readonly lookup: ContentMacroLookup;
  readonly techniques: readonly TechniqueRef[];
  readonly macros: readonly MacroUse[];
  readonly dataSources: readonly DataSourceRef[];
  /** Slugs of the stories it belongs to that exist in the catalog; other names stay as text. */
  readonly stories: readonly { readonly name: string; readonly slug: string | null }[];
}

export interface CatalogStory {
  readonly kind: 'story';
  readonly slug: string;
  readonly story: Story;
  readonly detections: readonly CatalogDetection[];
}

export interface CatalogSigmaRule {
  readonly kind: 'sigma';
  readonly slug: string;
  readonly rule: Rule;
  /** The front end's report for this document (load status and warnings), when found. */
  readonly report: RuleReport | null;
  readonly techniques: readonly TechniqueRef[];
  /** Tactics tagged directly (`attack.persistence`). */
  readonly tactics: readonly AttackTactic[];
}

/** A technique with what covers it (directly or through a sub-technique, for parents). */
export interface TechniqueCoverage {
  readonly technique: AttackTechnique;
  readonly detections: readonly CatalogDetection[];
  readonly sigma: readonly CatalogSigmaRule[];
}

export interface SiteModel {
  readonly stories: readonly CatalogStory[];
  readonly detections: readonly CatalogDetection[];
  readonly sigma: readonly CatalogSigmaRule[];
  /** Sigma documents Vigil does not run (not-loaded, not-applicable), listed with their reasons. */
  readonly sigmaNotRun: readonly RuleReport[];
  readonly attack: AttackCatalog;
  /** Keyed by technique id; a parent's entry includes its sub-techniques' coverage. */
  readonly coverage: ReadonlyMap<string, TechniqueCoverage>;
  readonly testResults: TestResults | null;
  readonly testResultsFile: string | null;
  /** Technique ids written in content that are not in the ATT&CK table. */
  readonly unknownTechniques: readonly string[];
}

export interface ModelInput {
  readonly contents: readonly ContentLoad[];
  readonly sigma: RuleSetLoad | null;
  readonly attack: AttackCatalog;
  readonly testResults?: TestResults | null;
  readonly testResultsFile?: string | null;
}

/** File-name-safe slug; `taken` makes it unique (suffix -2, -3...). */
export function uniqueSlug(base: string, taken: Set<string>): string {
  let slug = base.toLowerCase().replace(/[^a-z0-9._-]+/g, '_').replace(/^[._-]+/, '').slice(0, 120);
  if (slug.length === 0) slug = 'item';
  let candidate = slug;
  for (let n = 2; taken.has(candidate); n++) candidate = `${slug}-${n}`;
  taken.add(candidate);
  return candidate;
}

function techniqueRefs(ids: readonly string[], attack: AttackCatalog, unknown: Set<string>): TechniqueRef[] {
  const seen = new Set<string>();
  const out: TechniqueRef[] = [];
  for (const raw of ids) {
    const id = normalizeTechniqueId(raw) ?? raw.trim();
    if (seen.has(id)) continue;
    seen.add(id);
    const technique = attack.technique(id) ?? null;
    if (technique === null) unknown.add(id);
    const tactics = (technique?.tactics ?? []).map((t) => attack.tactic(t)).filter((t): t is AttackTactic => t !== undefined);
    out.push({ id, technique, tactics });
  }
  return out;
}

/** `attack.t1505.004` → technique ids; `attack.persistence` → tactics. */
function sigmaAttackTags(tags: readonly string[], attack: AttackCatalog): { techniques: string[]; tactics: AttackTactic[] } {
  const techniques: string[] = [];
  const tactics: AttackTactic[] = [];
  for (const tag of tags) {
    if (!tag.toLowerCase().startsWith('attack.')) continue;
    const id = normalizeTechniqueId(tag);
    if (id !== null) {
      techniques.push(id);
      continue;
    }
    const tactic = attack.tactic(tag);
    if (tactic !== undefined && !tactics.includes(tactic)) tactics.push(tactic);
  }
  return { techniques, tactics };
}

function detectionEntries(load: ContentLoad, taken: Set<string>, attack: AttackCatalog, unknown: Set<string>): CatalogDetection[] {
  const lookup: ContentMacroLookup = macroLookup(load);
  const sources = new Map(load.dataSources.map((d) => [d.name, d]));
  return load.detections.map((d) => ({
    kind: 'detection',
    slug: uniqueSlug(contentFileStem(d.name), taken),
    detection: d,
    deployment: deploymentFor(load, d),
    lookup,
    techniques: techniqueRefs(d.tags.mitreAttackId, attack, unknown),
    macros: findMacroUses(d.search, (name, arity): Macro | undefined => lookup.resolve(name, arity)),
    dataSources: d.dataSource.map((name) => ({ name, source: sources.get(name) ?? null })),
    stories: [],
  }));
}

const reportKey = (file: string, line: number | undefined): string => `${file}\u0000${line ?? 1}`;

export function buildSiteModel(input: ModelInput): SiteModel {
  const { attack } = input;
  const unknown = new Set<string>();
  // 'index' is each folder's list page.
  const detectionSlugs = new Set<string>(['index']);
  const storySlugs = new Set<string>(['index']);
  const sigmaSlugs = new Set<string>(['index']);

  const rawDetections = input.contents.flatMap((load) => detectionEntries(load, detectionSlugs, attack, unknown));
  const storyList = input.contents.flatMap((load) => load.stories);
  const storySlugByName = new Map<string, string>();
  for (const s of storyList) if (!storySlugByName.has(s.name)) storySlugByName.set(s.name, uniqueSlug(contentFileStem(s.name), storySlugs));
  const detections = rawDetections
    .map((d) => ({ ...d, stories: d.detection.tags.analyticStory.map((name) => ({ name, slug: storySlugByName.get(name) ?? null })) }))
    .sort((a, b) => a.detection.name.localeCompare(b.detection.name));
  const seenStory = new Set<string>();
  const stories: CatalogStory[] = [];
  for (const story of storyList) {
    if (seenStory.has(story.name)) continue;
    seenStory.add(story.name);
    const slug = storySlugByName.get(story.name)!;
    stories.push({ kind: 'story', slug, story, detections: detections.filter((d) => d.detection.tags.analyticStory.includes(story.name)) });
  }
  stories.sort((a, b) => a.story.name.localeCompare(b.story.name));

  const reports = new Map<string, RuleReport>();
  for (const r of input.sigma?.reports ?? []) reports.set(reportKey(r.file, r.line), r);
  const sigma: CatalogSigmaRule[] = (input.sigma?.rules ?? []).map((rule) => {
    const tags = sigmaAttackTags(rule.meta.tags, attack);
    return {
      kind: 'sigma',
      slug: uniqueSlug(rule.meta.id.length > 0 ? rule.meta.id : rule.meta.title, sigmaSlugs),
      rule,
      report: reports.get(reportKey(rule.meta.source.file, rule.meta.source.line)) ?? null,
      techniques: techniqueRefs(tags.techniques, attack, unknown),
      tactics: tags.tactics,
    };
  });
  sigma.sort((a, b) => a.rule.meta.title.localeCompare(b.rule.meta.title));
  const sigmaNotRun = (input.sigma?.reports ?? []).filter((r) => r.status === 'not-loaded' || r.status === 'not-applicable');

  return {
    stories,
    detections,
    sigma,
    sigmaNotRun,
    attack,
    coverage: coverageOf(detections, sigma, attack),
    testResults: input.testResults ?? null,
    testResultsFile: input.testResultsFile ?? null,
    unknownTechniques: [...unknown].sort(),
  };
}

/** Technique → what covers it; a sub-technique's coverage also counts for its parent. */
function coverageOf(detections: readonly CatalogDetection[], sigma: readonly CatalogSigmaRule[], attack: AttackCatalog): Map<string, TechniqueCoverage> {
  const dets = new Map<string, Set<CatalogDetection>>();
  const rules = new Map<string, Set<CatalogSigmaRule>>();
  const add = <T>(table: Map<string, Set<T>>, id: string, item: T): void => {
    let s = table.get(id);
    if (s === undefined) table.set(id, (s = new Set()));
    s.add(item);
  };
  const credit = <T>(table: Map<string, Set<T>>, refs: readonly TechniqueRef[], item: T): void => {
    for (const ref of refs) {
      if (ref.technique === null) continue;
      add(table, ref.technique.id, item);
      if (ref.technique.parent !== null) add(table, ref.technique.parent, item);
    }
  };
  for (const d of detections) credit(dets, d.techniques, d);
  for (const r of sigma) credit(rules, r.techniques, r);
  const out = new Map<string, TechniqueCoverage>();
  for (const id of new Set([...dets.keys(), ...rules.keys()])) {
    const technique = attack.technique(id);
    if (technique === undefined) continue;
    out.set(id, { technique, detections: [...(dets.get(id) ?? [])], sigma: [...(rules.get(id) ?? [])] });
  }
  return out;
}

/** How many items (detections + Sigma rules) cover a technique. */
export function coverageCount(model: SiteModel, techniqueId: string): number {
  const c = model.coverage.get(techniqueId);
  return c === undefined ? 0 : c.detections.length + c.sigma.length;
}

export function isDetectionRule(rule: Rule): rule is DetectionRule {
  return rule.kind === 'detection';
}
