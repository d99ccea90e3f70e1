/**
 * Common spellings of the System facts in flat exports (key=value lines, flat JSON,
 * PowerShell `Get-WinEvent | ConvertTo-Json`, CSV-turned-JSON). When a record has one of
 * these and not the canonical name, the canonical field is added beside the original.
 * The first alias present wins, in the order listed.
 */
import type { FieldScalar } from '../../core/event.js';
import { type FieldBag, firstScalar, parseInteger, parseTimestamp, setOwn } from './text-event.js';

export const CANONICAL_ALIASES: Readonly<Record<string, readonly string[]>> = {
  TimeCreated: ['TimeCreated', 'SystemTime', 'TimeCreated_SystemTime', '@timestamp', 'timestamp', 'Timestamp', 'time', 'Time', '_time', 'TimeGenerated', 'EventTime', 'UtcTime'],
  EventID: ['EventID', 'EventId', 'EventCode', 'event_id', 'eventid', 'eventID', 'Id'],
  Channel: ['Channel', 'LogName', 'channel', 'log_name', 'logname', 'ContainerLog'],
  Computer: ['Computer', 'ComputerName', 'MachineName', 'computer_name', 'Hostname', 'hostname', 'host', 'Host', 'dest'],
  Provider_Name: ['Provider_Name', 'ProviderName', 'Provider', 'SourceName', 'provider_name', 'provider', 'source_name'],
  EventRecordID: ['EventRecordID', 'RecordNumber', 'RecordId', 'record_id', 'RecordID'],
};

/** Adds the canonical fields a record spells differently. Values that do not parse are left out. */
export function addCanonicalAliases(fields: FieldBag): void {
  for (const [canonical, aliases] of Object.entries(CANONICAL_ALIASES)) {
    let found: FieldScalar | undefined;
    for (const alias of aliases) {
      const v = firstScalar(fields[alias]);
      if (v !== undefined && v !== null && v !== '') {
        found = v;
        break;
      }
    }
    if (found === undefined) continue;
    switch (canonical) {
      case 'TimeCreated': {
        const iso = parseTimestamp(found);
        if (iso !== null) setOwn(fields, canonical, iso);
        break;
      }
      case 'EventID':
      case 'EventRecordID': {
        const n = parseInteger(found);
        if (n !== null) setOwn(fields, canonical, n);
        break;
      }
      default:
        if (typeof found === 'string') setOwn(fields, canonical, found);
        else setOwn(fields, canonical, String(found));
    }
  }
}
