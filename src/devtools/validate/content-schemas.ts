/**
 * Schemas of security_content objects as contentctl validates them (splunk-iis-components.md §9,
 * spl-and-rba.md §5): strict keys, required fields, enums. Both risk forms are accepted: the v5
 * `rba:` block and the v4 `tags` impact/confidence/observable form this repository ships.
 * Vigil extensions: `expect` in a test, `format` in attack_data (docs/validate-and-test.md).
 */
import { type Field, S, type Spec, opt, req, want } from './schema.js';

export const DETECTION_TYPES = ['TTP', 'Anomaly', 'Hunting', 'Correlation'] as const;
export const DETECTION_STATUSES = ['production', 'experimental', 'deprecated', 'removed'] as const;
export const SECURITY_DOMAINS = ['access', 'endpoint', 'network', 'threat', 'identity', 'audit'] as const;
export const ASSET_TYPES = [
  'AWS Account', 'AWS EKS Kubernetes cluster', 'AWS Federated Account', 'AWS Instance', 'Account', 'Amazon EKS Kubernetes cluster',
  'Amazon EKS Kubernetes cluster Pod', 'Amazon Elastic Container Registry', 'Azure', 'Azure AD', 'Azure AD Tenant',
  'Azure Active Directory', 'Azure Tenant', 'CircleCI', 'Cisco Network', 'Cloud Compute Instance', 'Cloud Instance',
  'Configuration', 'Database', 'Domain Server', 'Email', 'Endpoint', 'GCP', 'GCP Account', 'GCP Kubernetes cluster',
  'GCP Kubernetes cluster Pod', 'GCP Storage Bucket', 'GitHub', 'GitLab', 'Identity', 'Infrastructure', 'Instance',
  'Kubernetes', 'Network', 'Office 365', 'Office 365 Tenant', 'Okta Tenant', 'Proxy', 'S3 Bucket', 'Splunk Server',
  'VPN Appliance', 'Web Server', 'Web Application', 'Windows', 'Workstation', 'Infrastructure Device',
] as const;
export const KILL_CHAIN_PHASES = ['Reconnaissance', 'Weaponization', 'Delivery', 'Exploitation', 'Installation', 'Command and Control', 'Command & Control', 'Actions on Objectives'] as const;
export const PRODUCTS = ['Splunk Enterprise', 'Splunk Enterprise Security', 'Splunk Cloud', 'Splunk Security Analytics for AWS', 'Splunk Behavioral Analytics', 'Splunk SOAR'] as const;
export const RISK_OBJECT_TYPES = ['user', 'system', 'other'] as const;
export const THREAT_OBJECT_TYPES = [
  'certificate_common_name', 'certificate_organization', 'certificate_serial', 'certificate_unit', 'command', 'domain',
  'email_address', 'email_subject', 'file_hash', 'file_name', 'file_path', 'http_user_agent', 'ip_address', 'process',
  'process_name', 'parent_process', 'parent_process_name', 'process_hash', 'registry_path', 'registry_value_name',
  'registry_value_text', 'service', 'signature', 'system', 'tls_hash', 'url',
] as const;
export const OBSERVABLE_ROLES = ['Victim', 'Attacker', 'Other', 'Parent Process', 'Child Process'] as const;
const INPUT_FORMATS = ['evtx', 'xml', 'winevtlog', 'evtx-json', 'ecs-json', 'flat-json', 'kv'];

const TECHNIQUE = /^T\d{4}(?:\.\d{3})?$/;
const text4 = (): Spec => S.str({ minLength: 4 });

const expectSpec = S.map({
  min_results: opt(S.int(0, 1_000_000)),
  results: opt(S.int(0, 1_000_000)),
  rows: opt(S.list(S.map({}, true))),
  notables: opt(S.bool()),
  risk_scores: opt(S.map({}, true)),
});

export const TEST_SPEC: Spec = S.map({
  name: req(S.str()),
  attack_data: req(S.list(S.map({
    data: req(S.str()),
    source: want(S.str()),
    sourcetype: want(S.str()),
    custom_index: opt(S.str()),
    host: opt(S.str()),
    format: opt(S.enumOf(INPUT_FORMATS)),
    update_timestamp: { spec: S.bool(), deprecated: 'legacy key: replay never rewrites timestamps (contentctl v5 rejects it)' },
  }), 1)),
  test_type: opt(S.enumOf(['unit', 'integration', 'manual'])),
  manual_test: opt(S.str()),
  description: opt(S.str()),
  expect: opt(expectSpec),
});

const observable = S.map({
  name: req(S.str()),
  type: req(S.str()),
  role: req(S.list(S.enumOf(OBSERVABLE_ROLES), 1)),
});

const TAGS: Record<string, Field> = {
  analytic_story: req(S.list(S.str(), 1)),
  asset_type: req(S.enumOf(ASSET_TYPES)),
  mitre_attack_id: opt(S.list(S.str({ pattern: TECHNIQUE }))),
  kill_chain_phases: opt(S.list(S.enumOf(KILL_CHAIN_PHASES))),
  cis20: opt(S.list(S.str({ pattern: /^CIS (?:[1-9]|1\d|20)$/ }))),
  nist: opt(S.list(S.str({ pattern: /^[A-Z]{2}\.[A-Z]{2}$/ }))),
  product: req(S.list(S.enumOf(PRODUCTS), 1)),
  security_domain: req(S.enumOf(SECURITY_DOMAINS)),
  required_fields: opt(S.list(S.str())),
  confidence: opt(S.int(0, 100)),
  impact: opt(S.int(0, 100)),
  risk_score: opt(S.int(0, 100)),
  message: opt(S.str()),
  observable: opt(S.list(observable)),
  manual_test: opt(S.str()),
  atomic_guid: opt(S.list(S.uuid())),
  cve: opt(S.list(S.str({ pattern: /^CVE-\d{4}-\d+$/ }))),
  group: opt(S.list(S.str())),
  throttling: opt(S.any()),
  drilldown_search: opt(S.any()),
  labels: opt(S.list(S.str())),
  response_type: opt(S.str()),
  supported_tas: opt(S.list(S.str())),
  context: opt(S.list(S.str())),
  dataset: opt(S.list(S.str())),
  risk_severity: opt(S.enumOf(['low', 'medium', 'high'])),
};

const RBA = S.map({
  message: req(S.str({ minLength: 4 })),
  risk_objects: req(S.list(S.map({ field: req(S.str()), type: req(S.enumOf(RISK_OBJECT_TYPES)), score: req(S.int(1, 100)) }), 1)),
  threat_objects: opt(S.list(S.map({ field: req(S.str()), type: req(S.enumOf(THREAT_OBJECT_TYPES)) }))),
});

const DRILLDOWN = S.map({ name: req(S.str()), search: req(S.str()), earliest_offset: req(S.str()), latest_offset: req(S.str()) });

const SCHEDULING = S.map({
  cron_schedule: req(S.str({ pattern: /^\S+(?:\s+\S+){4}$/ })),
  earliest_time: req(S.str()),
  latest_time: req(S.str()),
  schedule_window: opt(S.str()),
});

const ALERT_ACTION = S.map({
  notable: opt(S.map({ rule_title: req(S.str()), rule_description: req(S.str()), nes_fields: opt(S.list(S.str())) })),
  rba: opt(S.map({ enabled: req(S.bool()) })),
  email: opt(S.any()),
  slack: opt(S.any()),
  phantom: opt(S.any()),
  webhook: opt(S.any()),
});

export const DEPLOYMENT_FIELDS: Record<string, Field> = {
  name: req(S.str()),
  id: req(S.uuid()),
  date: req(S.date()),
  author: req(S.str()),
  description: opt(S.str()),
  type: req(S.enumOf(DETECTION_TYPES)),
  scheduling: req(SCHEDULING),
  alert_action: opt(ALERT_ACTION),
  tags: opt(S.any()),
  version: opt(S.int(0)),
};

export const DETECTION_SPEC = S.map({
  name: req(S.str({ minLength: 1, maxLength: 67 })),
  id: req(S.uuid()),
  version: req(S.int(0)),
  date: req(S.date()),
  author: req(S.str()),
  status: req(S.enumOf(DETECTION_STATUSES)),
  type: req(S.enumOf(DETECTION_TYPES)),
  description: req(text4()),
  data_source: want(S.list(S.str())),
  search: req(S.str({ minLength: 1 })),
  how_to_implement: req(text4()),
  known_false_positives: req(text4()),
  references: opt(S.list(S.str())),
  drilldown_searches: opt(S.list(DRILLDOWN)),
  rba: opt(RBA),
  tags: req(S.map(TAGS)),
  tests: opt(S.list(TEST_SPEC)),
  deployment: opt(S.map(DEPLOYMENT_FIELDS)),
  enabled_by_default: opt(S.bool()),
  throttling: opt(S.map({ fields: req(S.list(S.str(), 1)), period: req(S.str()) })),
  deprecation_info: opt(S.any()),
  baselines: opt(S.any()),
  datamodel: opt(S.list(S.str())),
});

export const STORY_SPEC = S.map({
  name: req(S.str()),
  id: req(S.uuid()),
  version: req(S.int(0)),
  date: req(S.date()),
  author: req(S.str()),
  status: opt(S.enumOf(DETECTION_STATUSES)),
  description: req(text4()),
  narrative: req(text4()),
  references: opt(S.list(S.str())),
  tags: req(S.map({
    category: req(S.list(S.str(), 1)),
    product: req(S.list(S.enumOf(PRODUCTS), 1)),
    usecase: req(S.str()),
    cve: opt(S.list(S.str())),
    group: opt(S.list(S.str())),
  })),
  type: opt(S.str()),
});

export const MACRO_SPEC = S.map({
  name: req(S.str({ pattern: /^[A-Za-z0-9_.-]+$/ })),
  definition: req(S.str()),
  description: want(S.str()),
  arguments: opt(S.list(S.str({ pattern: /^[A-Za-z0-9_-]+$/ }))),
});

export const LOOKUP_SPEC = S.map({
  name: req(S.str({ pattern: /^[A-Za-z0-9_.-]+$/ })),
  description: req(S.str()),
  filename: opt(S.str({ pattern: /^[^/\\]+\.(?:csv|mlmodel)$/ })),
  lookup_type: opt(S.enumOf(['csv', 'kvstore', 'mlmodel'])),
  default_match: opt(S.any()),
  match_type: opt(S.listish(S.str())),
  min_matches: opt(S.int(0)),
  max_matches: opt(S.int(0)),
  case_sensitive_match: opt(S.any()),
  fields_list: opt(S.listish(S.str())),
  filter: opt(S.str()),
  collection: opt(S.str()),
  id: opt(S.uuid()),
  version: opt(S.int(0)),
  date: opt(S.date()),
  author: opt(S.str()),
});

export const DATA_SOURCE_SPEC = S.map({
  name: req(S.str()),
  id: req(S.uuid()),
  version: req(S.int(0)),
  date: req(S.date()),
  author: req(S.str()),
  description: req(S.str()),
  source: req(S.str()),
  sourcetype: req(S.str()),
  separator: opt(S.str()),
  separator_value: opt(S.str()),
  supported_TA: opt(S.list(S.map({ name: req(S.str()), url: opt(S.str()), version: opt(S.str()) }))),
  fields: opt(S.list(S.str())),
  field_mappings: opt(S.any()),
  convert_to_log_source: opt(S.any()),
  example_log: opt(S.str()),
  mitre_components: opt(S.list(S.str())),
  output_fields: opt(S.list(S.str())),
});

export const DEPLOYMENT_SPEC = S.map(DEPLOYMENT_FIELDS);
