/**
 * A Splunk-style Hunting detection (security_content YAML) for tests that need one with a given
 * search: the fields a detection must carry, the rest fixed.
 */
export interface HuntingDetection {
  readonly name: string;
  readonly id: string;
  readonly date: string;
  readonly search: string;
  readonly story: string;
  readonly technique: string;
}

export function huntingDetectionYaml(d: HuntingDetection): string {
  return `name: ${d.name}
id: ${d.id}
version: 1
date: '${d.date}'
author: Vigil tests
status: production
type: Hunting
description: Every process start, in the order the heads kept them.
data_source:
- Sysmon EventID 1
search: '${d.search.replaceAll("'", "''")}'
how_to_implement: none
known_false_positives: none
references: []
tags:
  analytic_story:
  - ${d.story}
  asset_type: Endpoint
  confidence: 50
  impact: 50
  mitre_attack_id:
  - ${d.technique}
  product:
  - Splunk Enterprise
  security_domain: endpoint
`;
}
