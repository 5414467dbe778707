// The client under test for the harness-as-server role: connects to
// <base>/runCase?case=N for N = 0 … count-1, one at a time, and echoes every message
// (text as text, binary as binary) until the server closes. `--impl ws` runs ws's
// client instead, for calibration; otherwise wscodec's (WSCODEC_BACKEND picks the backend).
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { impl: { type: 'string', default: 'wscodec' } } });
const [base, countText] = positionals;
const count = Number(countText);
const { WebSocket } = await import(values.impl === 'ws' ? 'ws' : 'wscodec');
const maxPayload = Number(process.env.MAX_PAYLOAD ?? 16 * 1024 * 1024);

function runCase(n) {
  return new Promise((resolve) => {
    // maxFragments: 0 turns off ws's fragment limit (see ws-echo-server.js); wscodec ignores it.
    const ws = new WebSocket(`${base}/runCase?case=${n}`, { maxPayload, maxFragments: 0, perMessageDeflate: true });
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    ws.on('error', () => {}); // the harness judges what happened on the wire
    ws.on('close', resolve);
  });
}

for (let n = 0; n < count; n++) await runCase(n);
