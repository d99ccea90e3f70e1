/**
 * An event as Splunk's Windows add-on would present it to a search. INTERFACE STUB.
 */
import type { VigilEvent } from '../core/event.js';
import type { Row } from '../spl/exec/types.js';

export function splunkRow(event: VigilEvent): Row {
  void event;
  throw new Error('splunkRow: not implemented yet');
}
