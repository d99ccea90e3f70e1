import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attributeText, elementText, type XmlElement } from '../../src/core/xml-tree.js';

test('attribute and element text resolve references', () => {
  const el: XmlElement = {
    kind: 'element',
    name: 'Data',
    attributes: [{ name: 'Name', parts: [{ kind: 'value', text: 'a', json: 'a' }, { kind: 'entity', name: 'amp' }] }],
    children: [{ kind: 'value', text: 'x', json: 'x' }, { kind: 'charref', code: 0x41 }, { kind: 'entity', name: 'lt' }],
  };
  assert.equal(attributeText(el.attributes[0]!), 'a&');
  assert.equal(elementText(el), 'xA<');
});
