/** lib/core/sessions.ts: a new session after a long silence. */
import t from 'tap';
import { createSessions } from '../../lib/core/sessions.js';
import { msg, threadInfo } from '../support/messages.js';
import { runStage } from '../support/stage.js';

t.test('sessions: a new one after a long silence, reset per thread', async (t) => {
  const a = threadInfo('a');
  const b = threadInfo('b');
  const out = runStage(createSessions({ gapMs: 10 }), [[msg(a, 'x', 0), msg(a, 'x', 5), msg(a, 'x', 20), msg(a, 'x', 31)], [msg(b, 'x', 100)]]);
  t.same(out.map((m) => m.session), [0, 0, 1, 2, 0]);
  t.throws(() => createSessions({ gapMs: 0 }), { code: 'FBS_INVALID_OPTION' });
});
