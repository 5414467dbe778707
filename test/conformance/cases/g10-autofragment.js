// Group 10: a message the harness fragments itself must come back whole, however the
// peer chooses to fragment its echo.
import { msg, NORMAL, textOf } from './dsl.js';

const data = textOf(65536, 10);

export default [
  {
    id: '10.1.1',
    title: 'A 65536-byte text sent as 1300-byte fragments',
    run: (p) => p.sendMessage(data, { fragmentSize: 1300 }),
    expect: [msg(data)],
    close: NORMAL,
  },
];
