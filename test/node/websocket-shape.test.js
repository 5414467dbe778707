// The WebSocket class's own shape, as ws defines it (and the browser's WebSocket): the
// readyState constants are read-only on the class and the prototype, and the attributes
// are enumerable accessors on the prototype (url, protocol and extensions read-only).

import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import WS from 'ws';
import { WebSocket } from '../../dist/index.js';

for (const [name, Class] of /** @type {Array<[string, any]>} */ ([
  ['wscodec', WebSocket],
  ['ws', WS],
])) {
  test(`${name}: readyState constants are enumerable, read-only, fixed, on the class and the prototype`, () => {
    ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED'].forEach((constant, value) => {
      for (const target of [Class, Class.prototype]) {
        assert.deepEqual(
          Object.getOwnPropertyDescriptor(target, constant),
          { value, writable: false, enumerable: true, configurable: false },
          constant,
        );
      }
    });
  });

  test(`${name}: attributes are enumerable accessors on the prototype`, () => {
    for (const attribute of ['binaryType', 'bufferedAmount', 'extensions', 'isPaused', 'protocol', 'readyState', 'url']) {
      const descriptor = Object.getOwnPropertyDescriptor(Class.prototype, attribute);
      assert.equal(typeof descriptor?.get, 'function', attribute);
      assert.equal(descriptor.enumerable, true, attribute);
      assert.equal(descriptor.configurable, true, attribute);
      assert.equal(typeof descriptor.set, attribute === 'binaryType' ? 'function' : 'undefined', attribute);
    }
  });

  test(`${name}: url, protocol and extensions cannot be assigned`, () => {
    const ws = new Class(null, undefined, {}); // a server-side instance, no socket yet (ws needs the options)
    for (const attribute of ['url', 'protocol', 'extensions', 'readyState']) {
      assert.throws(
        () => {
          ws[attribute] = 'x';
        },
        TypeError,
        attribute,
      );
    }
    assert.equal(ws.readyState, 0);
  });
}
