/**
 * V8 settings for the `vigil` process. main.ts imports this module first, so they apply before
 * any other module loads; V8 flags are process-wide, so worker threads get them too.
 *
 * Allocation-site pretenuring is off. V8 watches which object and array literals survive young
 * collections and, past a threshold, allocates a literal's objects straight in the old
 * generation. The first files of a hunt are read while rule compilation's long-lived data is
 * still young, and in about half of the runs V8 tenured literals of the per-event path that way:
 * from then on every event's fields were old objects, whatever they pointed to was promoted
 * with them, and a whole hunt promoted about four times as much (measured on twelve corpus
 * copies: 575 against 160 MB with `--trace-gc-nvp`, about 1 s more of scavenging, in a run order
 * that flipped between runs). With the flag off, five runs out of five stayed low. Rule loading
 * is no slower without it.
 *
 * The optimizing compiler inlines less: half V8's default cumulative budget (920 bytes of
 * bytecode per function). TurboFan's own work was most of what a hunt costs before its first
 * file is hunted at full speed (1.3 s of compiling on one core for a 91 MB hunt, each hunt thread
 * compiling for itself); with 460 it was 1.0 s and the hunt 0.2–0.3 s shorter, and hunting warm
 * code was no slower (four hunts of 383 MB in one process, held to one core).
 */
import { setFlagsFromString } from 'node:v8';

setFlagsFromString('--no-allocation-site-pretenuring');
setFlagsFromString('--max-inlined-bytecode-size-cumulative=460');
