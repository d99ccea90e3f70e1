/**
 * The value list a flat plan gives with a record's fields (VigilEvent.fieldValues, walked by
 * keyword searches): every value the fields hold and nothing else, also when a template writes
 * one key twice and the later value replaces the earlier one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeEvtx, type WriterEvent } from '../../src/sinks/evtx-writer/index.js';
import { parseEvtxBytes } from '../../src/sources/evtx/index.js';
import type { FieldScalar, FieldValue, Fields } from '../../src/core/event.js';

/** The fewest System parts the writer takes; the EventData is what the tests vary. */
function eventWith(eventData: WriterEvent['eventData'], recordId: number): WriterEvent {
  return { provider: { name: 'Vigil-Test' }, eventId: 7, timeCreated: '2024-03-01T10:00:00.0000000Z', channel: 'Vigil/Test', computer: 'HOST-1', recordId, eventData };
}

function scalars(values: Iterable<FieldValue>): string[] {
  const out = new Set<string>();
  for (const v of values) {
    if (Array.isArray(v)) for (const x of v as readonly FieldScalar[]) out.add(JSON.stringify(x));
    else out.add(JSON.stringify(v));
  }
  return [...out].sort();
}

function readBack(events: WriterEvent[]): { fields: Fields; values: readonly FieldValue[] | null | undefined }[] {
  const result = parseEvtxBytes(writeEvtx(events), 'values.evtx');
  assert.equal(result.failed, 0);
  return result.records.map((r) => {
    assert.ok(r.fields !== undefined, `record ${r.recordId} went through the tree`);
    return { fields: r.fields, values: r.fieldValues };
  });
}

test('a System and EventData record lists exactly its field values', () => {
  const [rec] = readBack([
    eventWith(
      [
        ['CommandLine', 'cmd /c whoami'],
        ['Count', 12],
        ['Repeated', 'first'],
        ['Repeated', 'second'],
      ],
      1,
    ),
  ]);
  assert.ok(rec!.values != null, 'the plan should list the values');
  assert.deepEqual(rec!.fields['Repeated'], ['first', 'second']);
  assert.deepEqual(scalars(rec!.values!), scalars(Object.values(rec!.fields)));
});

test('a value the fields lose to a later one with the same key is not listed', () => {
  // An unnamed Data is also stored as `Data[1]`, replacing the named Data called `Data[1]`.
  const [rec] = readBack([eventWith([['Data[1]', 'replaced-value'], ['', 'unnamed-value']], 2)]);
  assert.equal(rec!.fields['Data[1]'], 'unnamed-value');
  assert.ok(!Object.values(rec!.fields).includes('replaced-value'));
  if (rec!.values != null) assert.deepEqual(scalars(rec!.values), scalars(Object.values(rec!.fields)));
  assert.ok(!(rec!.values ?? []).includes('replaced-value'), 'a keyword search would find a value the event no longer has');
});
