/** One located YAML file → one content object (or null with the reasons in the reader). */
import { FieldReader, scalarOf } from './fields.js';
import {
  type AlertAction,
  type AttackData,
  type DataSource,
  DETECTION_TYPES,
  type Deployment,
  type Detection,
  type DetectionRisk,
  type DetectionTags,
  type DetectionTest,
  type DrilldownSearch,
  type Lookup,
  type Macro,
  type Observable,
  type Origin,
  type RiskObject,
  type RiskObjectType,
  type Scheduling,
  type Story,
  type ThreatObject,
  contentFileStem,
  tagsRiskScore,
} from './model.js';
import { type YFile, type YMap, type ValuePositions, valuePositions } from './yaml-located.js';

const set = (...keys: string[]): ReadonlySet<string> => new Set(keys);

const DETECTION_KEYS = set(
  'name', 'id', 'version', 'date', 'author', 'status', 'type', 'description', 'data_source', 'search',
  'how_to_implement', 'known_false_positives', 'references', 'drilldown_searches', 'rba', 'tags', 'tests',
  'deployment', 'datamodel', 'enabled_by_default', 'creation_date', 'modification_date', 'baselines',
  'throttling', 'deprecation_info', 'nes_fields', 'product',
);
const DETECTION_REQUIRED = ['name', 'id', 'type', 'search'] as const;
/** Required by contentctl validate but not needed to run the search: warned about, not rejected. */
const DETECTION_EXPECTED = ['version', 'date', 'author', 'status', 'description', 'how_to_implement', 'known_false_positives', 'tags'] as const;
const TAG_KEYS = set(
  'analytic_story', 'asset_type', 'mitre_attack_id', 'kill_chain_phases', 'cis20', 'nist', 'product',
  'security_domain', 'required_fields', 'confidence', 'impact', 'message', 'observable', 'risk_score',
  'manual_test', 'atomic_guid', 'cve', 'group', 'dataset', 'context', 'risk_severity', 'supported_tas',
  'automated_detection_testing', 'labels', 'drilldown_search', 'throttling', 'response_type',
);
const RBA_KEYS = set('message', 'risk_objects', 'threat_objects');
// `expect` (what must come out) and attack_data `format` are Vigil's test extensions
// (docs/validate-and-test.md); everything else is contentctl's.
const TEST_KEYS = set('name', 'attack_data', 'test_type', 'manual_test', 'counter', 'description', 'expect');
const ATTACK_DATA_KEYS = set('data', 'source', 'sourcetype', 'custom_index', 'host', 'update_timestamp', 'format');
const DRILLDOWN_KEYS = set('name', 'search', 'earliest_offset', 'latest_offset');
const STORY_KEYS = set('name', 'id', 'version', 'date', 'author', 'status', 'description', 'narrative', 'references', 'tags', 'type', 'creation_date', 'modification_date');
const STORY_TAG_KEYS = set('category', 'product', 'usecase', 'analytic_story', 'cve', 'group');
const MACRO_KEYS = set('name', 'definition', 'arguments', 'description', 'args');
const LOOKUP_KEYS = set(
  'name', 'id', 'version', 'date', 'author', 'description', 'filename', 'lookup_type', 'default_match',
  'match_type', 'min_matches', 'max_matches', 'case_sensitive_match', 'fields_list', 'filter', 'collection',
  'file_path', 'creation_date', 'modification_date',
);
const DATA_SOURCE_KEYS = set(
  'name', 'id', 'version', 'date', 'author', 'description', 'source', 'sourcetype', 'separator', 'separator_value',
  'supported_TA', 'fields', 'field_mappings', 'convert_to_log_source', 'example_log', 'mitre_components', 'output_fields',
  'creation_date', 'modification_date',
);
const DEPLOYMENT_KEYS = set('name', 'id', 'date', 'author', 'description', 'scheduling', 'alert_action', 'type', 'tags', 'version');
const SCHEDULING_KEYS = set('cron_schedule', 'earliest_time', 'latest_time', 'schedule_window');

const RISK_OBJECT_TYPES: ReadonlySet<string> = set('user', 'system', 'other');

function rootMap(yfile: YFile, r: FieldReader, what: string): YMap | null {
  if (yfile.root === null) {
    if (!r.diagnostics.some((d) => d.severity === 'error')) r.error('content.empty', `empty ${what} file`, yfile.posAt(0));
    return null;
  }
  if (yfile.root.kind !== 'map') {
    r.error('content.bad-value', `a ${what} file must hold a map at its top level`, yfile.root.loc);
    return null;
  }
  return yfile.root;
}

function originOf(yfile: YFile, map: YMap): Origin {
  return { file: yfile.file, pos: map.loc };
}

export function readDetection(yfile: YFile, r: FieldReader): Detection | null {
  const map = rootMap(yfile, r, 'detection');
  if (map === null) return null;
  r.checkKeys(map, DETECTION_KEYS, 'a detection');
  const missing = DETECTION_REQUIRED.filter((k) => r.require(map, k, 'the detection') === undefined);
  const absent = DETECTION_EXPECTED.filter((k) => scalarOf(map, k)?.value === null || !map.pairs.some((p) => p.key === k));
  if (absent.length > 0) r.warn('content.missing-expected', `the detection has no ${absent.map((k) => `'${k}'`).join(', ')} (contentctl requires them)`, map.loc);
  const name = r.str(map, 'name', 'the detection');
  const id = r.str(map, 'id', 'the detection');
  const type = r.str(map, 'type', 'the detection');
  const searchScalar = scalarOf(map, 'search');
  const search = r.str(map, 'search', 'the detection');
  if (missing.length > 0 || name === null || id === null || type === null || search === null || searchScalar === undefined) return null;
  if (!(DETECTION_TYPES as readonly string[]).includes(type)) {
    r.warn('content.unknown-type', `unknown detection type '${type}' (expected ${DETECTION_TYPES.join(', ')})`, scalarOf(map, 'type')?.loc);
  }
  const stem = contentFileStem(name);
  const fileStem = (yfile.file.split(/[\\/]/).pop() ?? '').replace(/\.ya?ml$/i, '');
  if (fileStem !== stem) r.info('content.file-name', `file name '${fileStem}' differs from the name's stem '${stem}'`, scalarOf(map, 'name')?.loc);
  const searchPositions: ValuePositions = valuePositions(yfile, searchScalar);
  const tagsMap = r.map(map, 'tags', 'the detection');
  const tags = readTags(tagsMap, r);
  const rbaMap = r.map(map, 'rba', 'the detection');
  let risk: DetectionRisk | null = null;
  if (rbaMap !== null) risk = readRba(yfile, rbaMap, r);
  const tagsRisk = tagsMap === null ? null : readTagsRisk(yfile, tagsMap, r);
  if (risk !== null && tagsRisk !== null) r.warn('content.risk.both', 'both an rba block and tags impact/confidence: the rba block is used', rbaMap?.loc);
  risk ??= tagsRisk;
  if (!search.includes(`\`${stem}_filter\``)) {
    r.warn('content.search.no-filter', `the search does not end with its filter macro \`${stem}_filter\``, searchScalar.loc);
  }
  if (risk?.kind === 'rba' && (type === 'Hunting' || type === 'Correlation')) {
    r.warn('content.rba.unexpected', `${type} detections have no risk action: the rba block is not used by the default deployment`, rbaMap?.loc);
  }
  const deploymentMap = r.map(map, 'deployment', 'the detection');
  return {
    kind: 'detection',
    name,
    id,
    version: r.num(map, 'version', 'the detection'),
    date: r.str(map, 'date', 'the detection'),
    author: r.str(map, 'author', 'the detection'),
    status: r.str(map, 'status', 'the detection'),
    type,
    description: r.str(map, 'description', 'the detection') ?? '',
    dataSource: r.strList(map, 'data_source', 'the detection'),
    search,
    searchPositions,
    howToImplement: r.str(map, 'how_to_implement', 'the detection') ?? '',
    knownFalsePositives: r.str(map, 'known_false_positives', 'the detection') ?? '',
    references: r.strList(map, 'references', 'the detection'),
    drilldownSearches: r.mapList(map, 'drilldown_searches', 'the detection').map((m) => readDrilldown(m, r)).filter((d): d is DrilldownSearch => d !== null),
    risk,
    tags,
    tests: r.mapList(map, 'tests', 'the detection').map((m) => readTest(m, r)).filter((t): t is DetectionTest => t !== null),
    deployment: deploymentMap === null ? null : readDeploymentMap(yfile, deploymentMap, r, 'the inline deployment', name),
    filterMacro: `${stem}_filter`,
    origin: originOf(yfile, map),
  };
}

function readTags(map: YMap | null, r: FieldReader): DetectionTags {
  if (map !== null) r.checkKeys(map, TAG_KEYS, 'tags');
  const list = (k: string): string[] => (map === null ? [] : r.strList(map, k, 'tags'));
  const one = (k: string): string | null => (map === null ? null : r.str(map, k, 'tags'));
  return {
    analyticStory: list('analytic_story'),
    assetType: one('asset_type'),
    mitreAttackId: list('mitre_attack_id'),
    killChainPhases: list('kill_chain_phases'),
    cis20: list('cis20'),
    nist: list('nist'),
    product: list('product'),
    securityDomain: one('security_domain'),
    requiredFields: list('required_fields'),
  };
}

function readRba(yfile: YFile, map: YMap, r: FieldReader): DetectionRisk | null {
  r.checkKeys(map, RBA_KEYS, 'rba');
  const message = r.str(map, 'message', 'rba', true) ?? '';
  const riskObjects: RiskObject[] = [];
  for (const m of r.mapList(map, 'risk_objects', 'rba')) {
    r.checkKeys(m, set('field', 'type', 'score'), 'a risk object');
    const field = r.str(m, 'field', 'a risk object', true);
    const type = r.str(m, 'type', 'a risk object', true);
    const score = r.num(m, 'score', 'a risk object', true);
    if (field === null || type === null || score === null) continue;
    if (!RISK_OBJECT_TYPES.has(type)) {
      r.error('content.bad-value', `risk object type '${type}' must be user, system or other`, scalarOf(m, 'type')?.loc);
      continue;
    }
    if (score < 0 || score > 100) r.warn('content.bad-value', `risk score ${score} is outside 0..100`, scalarOf(m, 'score')?.loc);
    riskObjects.push({ field, type: type as RiskObjectType, score });
  }
  if (riskObjects.length === 0) r.warn('content.rba.no-risk-object', 'rba has no usable risk object', map.loc);
  const threatObjects: ThreatObject[] = [];
  for (const m of r.mapList(map, 'threat_objects', 'rba')) {
    r.checkKeys(m, set('field', 'type'), 'a threat object');
    const field = r.str(m, 'field', 'a threat object', true);
    const type = r.str(m, 'type', 'a threat object', true);
    if (field !== null && type !== null) threatObjects.push({ field, type });
  }
  return { kind: 'rba', message, riskObjects, threatObjects, origin: originOf(yfile, map) };
}

const USER_TYPES = set('user', 'username', 'email address');
const SYSTEM_TYPES = set('device', 'endpoint', 'hostname', 'ip address');

/** contentctl v4 mapping of observables to risk and threat objects (spl-and-rba.md §5.1). */
function threatTypeOf(type: string): string {
  if (type === 'process name' || type === 'process') return 'process';
  if (type === 'file name' || type === 'file' || type === 'file hash') return 'file_name';
  if (type === 'ip address') return 'ip_address';
  if (type === 'url string' || type === 'url') return 'url';
  return type;
}

function readTagsRisk(yfile: YFile, tags: YMap, r: FieldReader): DetectionRisk | null {
  const hasImpact = tags.pairs.some((p) => p.key === 'impact');
  const hasConfidence = tags.pairs.some((p) => p.key === 'confidence');
  if (!hasImpact && !hasConfidence) return null;
  const impact = r.num(tags, 'impact', 'tags', true);
  const confidence = r.num(tags, 'confidence', 'tags', true);
  if (impact === null || confidence === null) return null;
  const riskScore = tagsRiskScore(impact, confidence);
  const declared = r.num(tags, 'risk_score', 'tags');
  if (declared !== null && declared !== riskScore) {
    r.info('content.risk.declared-score', `tags.risk_score ${declared} differs from impact × confidence / 100 = ${riskScore}; the computed score is used`, scalarOf(tags, 'risk_score')?.loc);
  }
  const observables: Observable[] = [];
  for (const m of r.mapList(tags, 'observable', 'tags')) {
    r.checkKeys(m, set('name', 'type', 'role'), 'an observable');
    const name = r.str(m, 'name', 'an observable', true);
    const type = r.str(m, 'type', 'an observable', true);
    if (name !== null && type !== null) observables.push({ name, type, roles: r.strList(m, 'role', 'an observable') });
  }
  const riskObjects: RiskObject[] = [];
  const threatObjects: ThreatObject[] = [];
  for (const o of observables) {
    const t = o.type.toLowerCase();
    if (o.roles.includes('Victim') && USER_TYPES.has(t)) riskObjects.push({ field: o.name, type: 'user', score: riskScore });
    else if (o.roles.includes('Victim') && SYSTEM_TYPES.has(t)) riskObjects.push({ field: o.name, type: 'system', score: riskScore });
    else if (o.roles.includes('Attacker')) threatObjects.push({ field: o.name, type: threatTypeOf(t) });
    else riskObjects.push({ field: o.name, type: 'other', score: riskScore });
  }
  return {
    kind: 'tags',
    impact,
    confidence,
    riskScore,
    declaredRiskScore: declared,
    message: r.str(tags, 'message', 'tags') ?? '',
    observables,
    riskObjects,
    threatObjects,
    origin: originOf(yfile, tags),
  };
}

function readTest(map: YMap, r: FieldReader): DetectionTest | null {
  r.checkKeys(map, TEST_KEYS, 'a test');
  const name = r.str(map, 'name', 'a test', true);
  if (name === null) return null;
  const attackData: AttackData[] = [];
  for (const m of r.mapList(map, 'attack_data', 'a test')) {
    r.checkKeys(m, ATTACK_DATA_KEYS, 'attack_data');
    const data = r.str(m, 'data', 'attack_data', true);
    if (data === null) continue;
    attackData.push({
      data,
      source: r.str(m, 'source', 'attack_data'),
      sourcetype: r.str(m, 'sourcetype', 'attack_data'),
      customIndex: r.str(m, 'custom_index', 'attack_data'),
      host: r.str(m, 'host', 'attack_data'),
    });
  }
  return { name, testType: r.str(map, 'test_type', 'a test'), attackData };
}

function readDrilldown(map: YMap, r: FieldReader): DrilldownSearch | null {
  r.checkKeys(map, DRILLDOWN_KEYS, 'a drilldown search');
  const name = r.str(map, 'name', 'a drilldown search', true);
  const search = r.str(map, 'search', 'a drilldown search', true);
  if (name === null || search === null) return null;
  return { name, search, earliestOffset: r.str(map, 'earliest_offset', 'a drilldown search'), latestOffset: r.str(map, 'latest_offset', 'a drilldown search') };
}

export function readStory(yfile: YFile, r: FieldReader): Story | null {
  const map = rootMap(yfile, r, 'story');
  if (map === null) return null;
  r.checkKeys(map, STORY_KEYS, 'a story');
  const name = r.str(map, 'name', 'the story', true);
  if (name === null) return null;
  const tags = r.map(map, 'tags', 'the story');
  if (tags !== null) r.checkKeys(tags, STORY_TAG_KEYS, 'story tags');
  return {
    kind: 'story',
    name,
    id: r.str(map, 'id', 'the story'),
    version: r.num(map, 'version', 'the story'),
    date: r.str(map, 'date', 'the story'),
    author: r.str(map, 'author', 'the story'),
    description: r.str(map, 'description', 'the story') ?? '',
    narrative: r.str(map, 'narrative', 'the story') ?? '',
    references: r.strList(map, 'references', 'the story'),
    category: tags === null ? [] : r.strList(tags, 'category', 'story tags'),
    product: tags === null ? [] : r.strList(tags, 'product', 'story tags'),
    usecase: tags === null ? null : r.str(tags, 'usecase', 'story tags'),
    origin: originOf(yfile, map),
  };
}

const ARG_NAME = /^[A-Za-z0-9_-]+$/;

/** A macro map (a macros/*.yml file, or one entry of a user override list). */
export function readMacroMap(yfile: YFile, map: YMap, r: FieldReader): Macro | null {
  r.checkKeys(map, MACRO_KEYS, 'a macro');
  const name = r.str(map, 'name', 'the macro', true);
  const definitionPair = map.pairs.find((p) => p.key === 'definition');
  if (definitionPair === undefined) r.error('content.missing-key', `the macro has no 'definition'`, map.loc);
  if (name === null || definitionPair === undefined) return null;
  let definition = r.str(map, 'definition', 'the macro') ?? '';
  if (definition.trim() === '' && name.endsWith('_filter')) {
    r.info('content.macro.empty-filter', `filter macro '${name}' is empty: it means \`search *\``, definitionPair.keyLoc);
    definition = 'search *';
  }
  const args = [...r.strList(map, 'arguments', 'the macro'), ...r.strList(map, 'args', 'the macro').flatMap((a) => a.split(','))].map((a) => a.trim()).filter((a) => a !== '');
  for (const a of args) if (!ARG_NAME.test(a)) r.warn('content.macro.bad-argument', `argument name '${a}' should use letters, digits, _ and - only`, map.loc);
  for (const m of definition.matchAll(/\$([A-Za-z0-9_-]+)\$/g)) {
    if (!args.includes(m[1]!)) r.info('content.macro.free-token', `'$${m[1]}$' in the definition of '${name}' is not one of its arguments`, definitionPair.keyLoc);
  }
  return { kind: 'macro', name, arguments: args, definition, description: r.str(map, 'description', 'the macro'), source: 'yaml', origin: originOf(yfile, map) };
}

export function readMacro(yfile: YFile, r: FieldReader): Macro | null {
  const map = rootMap(yfile, r, 'macro');
  return map === null ? null : readMacroMap(yfile, map, r);
}

/** The lookup's metadata; the csv table is attached by the loader. */
export function readLookup(yfile: YFile, r: FieldReader): Omit<Lookup, 'path' | 'table'> | null {
  const map = rootMap(yfile, r, 'lookup');
  if (map === null) return null;
  r.checkKeys(map, LOOKUP_KEYS, 'a lookup');
  const name = r.str(map, 'name', 'the lookup', true);
  if (name === null) return null;
  return {
    kind: 'lookup',
    name,
    description: r.str(map, 'description', 'the lookup'),
    lookupType: r.str(map, 'lookup_type', 'the lookup'),
    filename: r.str(map, 'filename', 'the lookup'),
    defaultMatch: r.str(map, 'default_match', 'the lookup'),
    matchType: r.strList(map, 'match_type', 'the lookup'),
    minMatches: r.num(map, 'min_matches', 'the lookup'),
    maxMatches: r.num(map, 'max_matches', 'the lookup'),
    caseSensitiveMatch: r.bool(map, 'case_sensitive_match', 'the lookup'),
    fieldsList: r.strList(map, 'fields_list', 'the lookup').flatMap((f) => f.split(',')).map((f) => f.trim()).filter((f) => f !== ''),
    filter: r.str(map, 'filter', 'the lookup'),
    collection: r.str(map, 'collection', 'the lookup'),
    origin: originOf(yfile, map),
  };
}

export function readDataSource(yfile: YFile, r: FieldReader): DataSource | null {
  const map = rootMap(yfile, r, 'data source');
  if (map === null) return null;
  r.checkKeys(map, DATA_SOURCE_KEYS, 'a data source');
  const name = r.str(map, 'name', 'the data source', true);
  if (name === null) return null;
  const source = r.str(map, 'source', 'the data source');
  const sourcetype = r.str(map, 'sourcetype', 'the data source');
  if (source === null && sourcetype === null) r.warn('content.missing-expected', 'the data source has neither source nor sourcetype', map.loc);
  return {
    kind: 'data-source',
    name,
    id: r.str(map, 'id', 'the data source'),
    description: r.str(map, 'description', 'the data source'),
    source,
    sourcetype,
    separator: r.str(map, 'separator', 'the data source'),
    supportedTa: r.mapList(map, 'supported_TA', 'the data source').flatMap((m) => {
      const taName = r.str(m, 'name', 'supported_TA', true);
      return taName === null ? [] : [{ name: taName, url: r.str(m, 'url', 'supported_TA'), version: r.str(m, 'version', 'supported_TA') }];
    }),
    fields: r.strList(map, 'fields', 'the data source'),
    outputFields: r.strList(map, 'output_fields', 'the data source'),
    exampleLog: r.str(map, 'example_log', 'the data source'),
    origin: originOf(yfile, map),
  };
}

export function readDeployment(yfile: YFile, r: FieldReader): Deployment | null {
  const map = rootMap(yfile, r, 'deployment');
  if (map === null) return null;
  const name = r.str(map, 'name', 'the deployment', true);
  if (name === null) return null;
  return readDeploymentMap(yfile, map, r, 'the deployment', name);
}

function readDeploymentMap(yfile: YFile, map: YMap, r: FieldReader, where: string, fallbackName: string): Deployment {
  r.checkKeys(map, DEPLOYMENT_KEYS, where);
  const schedMap = r.map(map, 'scheduling', where);
  let scheduling: Scheduling | null = null;
  if (schedMap !== null) {
    r.checkKeys(schedMap, SCHEDULING_KEYS, 'scheduling');
    const cron = r.str(schedMap, 'cron_schedule', 'scheduling', true);
    const earliest = r.str(schedMap, 'earliest_time', 'scheduling', true);
    const latest = r.str(schedMap, 'latest_time', 'scheduling', true);
    if (cron !== null && earliest !== null && latest !== null) {
      if (cron.trim().split(/\s+/).length !== 5) r.error('content.bad-value', `cron_schedule '${cron}' must have 5 fields`, scalarOf(schedMap, 'cron_schedule')?.loc);
      scheduling = { cronSchedule: cron, earliestTime: earliest, latestTime: latest, scheduleWindow: r.str(schedMap, 'schedule_window', 'scheduling') };
    }
  }
  const alertActions: AlertAction[] = [];
  const actions = r.map(map, 'alert_action', where);
  for (const p of actions?.pairs ?? []) {
    const body = p.value.kind === 'map' ? p.value : null;
    if (p.key === 'notable') {
      alertActions.push({
        kind: 'notable',
        ruleTitle: body === null ? null : r.str(body, 'rule_title', 'notable'),
        ruleDescription: body === null ? null : r.str(body, 'rule_description', 'notable'),
        nesFields: body === null ? [] : r.strList(body, 'nes_fields', 'notable'),
      });
    } else if (p.key === 'rba' || p.key === 'risk') {
      alertActions.push({ kind: 'risk', enabled: body === null ? true : (r.bool(body, 'enabled', p.key) ?? true) });
    } else {
      alertActions.push({ kind: 'other', name: p.key });
    }
  }
  return {
    kind: 'deployment',
    name: r.str(map, 'name', where) ?? fallbackName,
    id: r.str(map, 'id', where),
    description: r.str(map, 'description', where),
    type: r.str(map, 'type', where),
    scheduling,
    alertActions,
    origin: originOf(yfile, map),
  };
}
