// Verdicts in Autobahn's vocabulary. A case gets two: one for what the peer sent back
// (its behaviour) and one for how the connection ended (its close behaviour); the
// case's verdict is the worse of the two.
//   OK            what the RFC requires
//   NON-STRICT    right in the end, but not as early as it could have been (fail-fast)
//   INFORMATIONAL the RFC leaves the choice to the implementation; recorded, not judged
//   FAILED        wrong
export const VERDICTS = ['OK', 'INFORMATIONAL', 'NON-STRICT', 'FAILED'];

const worse = (a, b) => (VERDICTS.indexOf(a) >= VERDICTS.indexOf(b) ? a : b);

export function judge(kase, s) {
  const behavior = judgeBehavior(kase, s);
  const close = judgeClose(kase, s);
  const verdict = worse(behavior.verdict, close.verdict);
  const reasons = [behavior.reason, close.reason].filter(Boolean);
  return { verdict, behavior: behavior.verdict, closeBehavior: close.verdict, reason: reasons.join('; ') };
}

function judgeBehavior(kase, s) {
  if (s.handshakeProblem) return { verdict: 'FAILED', reason: `handshake: ${s.handshakeProblem}` };
  if (s.harnessError) return { verdict: 'FAILED', reason: `the case could not run: ${s.harnessError}` };
  if (s.violation) return { verdict: 'FAILED', reason: `the peer sent ${s.violation}` };
  if (kase.informational) return { verdict: 'INFORMATIONAL', reason: kase.informational };
  const diff = traceDifference(kase.expect, s.trace);
  if (diff === null) return { verdict: 'OK' };
  if (kase.nonStrict && traceDifference(kase.nonStrict, s.trace) === null) return { verdict: 'NON-STRICT', reason: diff };
  return { verdict: 'FAILED', reason: diff };
}

function judgeClose(kase, s) {
  if (s.handshakeProblem || s.harnessError || s.violation) return { verdict: 'FAILED' };
  const want = kase.close;
  const got = s.peerClose;
  let verdict = 'OK';
  let reason;
  if (!got) {
    verdict = 'FAILED';
    reason = s.closeSent ? 'the peer never answered the close frame' : 'the peer never sent a close frame';
  } else if (want.by === 'peer' && !got.initiated) {
    verdict = 'FAILED';
    reason = 'the peer did not fail the connection; the harness had to close it';
  } else if (want.by === 'harness' && got.initiated) {
    verdict = 'FAILED';
    reason = `the peer closed the connection itself (${got.code} ${JSON.stringify(got.reason)})`;
  } else if (!want.codes.includes(got.code)) {
    verdict = 'FAILED';
    reason = `close code ${got.code}, expected ${want.codes.join(' or ')}`;
  } else if (kase.failFast && closedAfter(s, kase.failFast)) {
    verdict = 'NON-STRICT';
    reason = `the peer failed the connection only after "${kase.failFast}", not at the first bad byte`;
  } else if (want.clean && !isClean(s)) {
    verdict = 'FAILED';
    reason = `unclean close: ${uncleanWhy(s)}`;
  }
  if (kase.informational && verdict !== 'OK') return { verdict: 'INFORMATIONAL', reason };
  return { verdict, reason };
}

/** Whether the peer's close frame came in after the harness had reached `mark`. */
function closedAfter(s, mark) {
  const index = s.marks.indexOf(mark);
  return index >= 0 && s.peerClose.marks > index;
}

function isClean(s) {
  return s.closeSent && s.peerClose && !s.tcpTimedOut && !s.socketError && (s.role === 'server' || s.peerEndedTcp);
}

function uncleanWhy(s) {
  if (s.tcpTimedOut) return 'the TCP connection was still open after the closing handshake';
  if (s.socketError) return `socket error ${s.socketError}`;
  if (s.role === 'client' && !s.peerEndedTcp) return 'the server did not close the TCP connection first';
  return 'the closing handshake did not complete';
}

/** null when `trace` is exactly `expected`, else a one-line description of the first difference. */
export function traceDifference(expected, trace) {
  const n = Math.max(expected.length, trace.length);
  for (let i = 0; i < n; i++) {
    const want = expected[i];
    const got = trace[i];
    if (!want) return `unexpected ${describe(got)} at position ${i + 1}`;
    if (!got) return `missing ${describe(want)} at position ${i + 1} (got ${trace.length} of ${expected.length})`;
    if (
      want.type !== got.type ||
      (want.type === 'message' && want.binary !== got.binary) ||
      !Buffer.from(want.bytes.buffer, want.bytes.byteOffset, want.bytes.length).equals(got.bytes)
    ) {
      return `position ${i + 1}: expected ${describe(want)}, got ${describe(got)}`;
    }
  }
  return null;
}

function describe(e) {
  const kind = e.type === 'pong' ? 'pong' : e.binary ? 'binary message' : 'text message';
  const preview = e.bytes.length <= 24 ? ` ${Buffer.from(e.bytes).toString('hex')}` : '';
  return `${kind} of ${e.bytes.length} bytes${preview}`;
}
