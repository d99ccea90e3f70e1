/** macros.conf stanzas: arity in the stanza name, args, continuation lines, located problems. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadMacrosConf } from '../../src/content/index.js';
import { type MacroDefinition, expandMacros, parseSpl } from '../../src/spl/index.js';

const CONF = [
  '# our own site macros', //                                   1
  '[site_sysmon]', //                                            2
  'definition = index=edr sourcetype=sysmon_xml', //              3
  'description = where our sysmon lands', //                      4
  '', //                                                          5
  '[pair_eq(2)]', //                                              6
  'args = left, right', //                                        7
  'definition = $left$=$right$ \\', //                            8
  'OR $right$=$left$', //                                         9
  '', //                                                         10
  '[quiet_filter]', //                                           11
  'definition =', //                                             12
  '', //                                                         13
  '[needs_args(1)]', //                                          14
  'definition = x=$a$', //                                       15
  '', //                                                         16
  '[no_definition]', //                                          17
  'description = forgot it', //                                  18
  '', //                                                         19
  '[evaluated]', //                                              20
  'iseval = 1', //                                               21
  'definition = "x"', //                                         22
  'colour = red', //                                             23
  'this line has no equals sign', //                             24
  '[bad name!]', //                                              25
  'definition = y', //                                           26
].join('\n');

describe('loadMacrosConf', () => {
  const { macros, diagnostics } = loadMacrosConf(CONF, 'site/macros.conf');
  const byName = new Map(macros.map((m) => [`${m.name}(${m.arguments.length})`, m]));
  const at = (code: string): [number | undefined, string][] => diagnostics.filter((d) => d.code === code).map((d) => [d.location.line, d.severity]);

  test('valid stanzas become macros with their arguments and stanza line', () => {
    assert.deepEqual([...byName.keys()], ['site_sysmon(0)', 'pair_eq(2)', 'quiet_filter(0)']);
    const sysmon = byName.get('site_sysmon(0)')!;
    assert.equal(sysmon.definition, 'index=edr sourcetype=sysmon_xml');
    assert.equal(sysmon.description, 'where our sysmon lands');
    assert.equal(sysmon.source, 'conf');
    assert.deepEqual([sysmon.origin.file, sysmon.origin.pos.line], ['site/macros.conf', 2]);
    const pair = byName.get('pair_eq(2)')!;
    assert.deepEqual(pair.arguments, ['left', 'right']);
    assert.equal(pair.definition, '$left$=$right$ \nOR $right$=$left$');
  });

  test('an empty filter macro means `search *`, with an info note', () => {
    assert.equal(byName.get('quiet_filter(0)')?.definition, 'search *');
    assert.deepEqual(at('content.macro.empty-filter'), [[12, 'info']]);
  });

  test('problems are located at their line', () => {
    assert.deepEqual(at('content.conf.arity'), [[14, 'error']]);
    assert.deepEqual(at('content.missing-key'), [[17, 'error']]);
    assert.deepEqual(at('content.conf.iseval'), [[21, 'warning']]);
    assert.deepEqual(at('content.unknown-key'), [[23, 'warning']]);
    assert.deepEqual(at('content.conf.syntax'), [[24, 'error']]);
    assert.deepEqual(at('content.conf.bad-stanza'), [[25, 'error']]);
  });

  test('the loaded macros drive expansion and the result parses', () => {
    const lookup = (name: string, arity: number): MacroDefinition | undefined => {
      const m = byName.get(`${name}(${arity})`);
      return m === undefined ? undefined : { definition: m.definition, args: m.arguments };
    };
    const text = expandMacros('`site_sysmon` `pair_eq(user, admin)` | stats count | `quiet_filter`', lookup).text;
    assert.equal(text, 'index=edr sourcetype=sysmon_xml user=admin \nOR admin=user | stats count | search *');
    assert.equal(parseSpl(text).commands.length, 3);
  });

  test('hostile input: huge continuation chains and empty text stay bounded', () => {
    const long = `[big]\ndefinition = a \\\n${'b \\\n'.repeat(20_000)}c\n`;
    const r = loadMacrosConf(long, 'big.conf');
    assert.equal(r.macros.length, 1);
    assert.ok(r.macros[0]!.definition.endsWith('c'));
    assert.deepEqual(loadMacrosConf('', 'empty.conf'), { macros: [], diagnostics: [] });
  });
});
