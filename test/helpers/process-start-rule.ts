/**
 * A Sigma rule that matches every Sysmon process start (EventID 1): on generated EVTX, findings
 * spread over the whole input, for tests that compare how runs split the work.
 */
export function processStartRuleYaml(title: string, id: string): string {
  return `title: ${title}
id: ${id}
status: test
level: low
logsource:
  product: windows
  service: sysmon
detection:
  selection:
    EventID: 1
  condition: selection
`;
}
