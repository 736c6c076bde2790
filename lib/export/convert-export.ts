/**
 * A whole export through the service (lib/convert.ts): the export indexed, the owner found (or
 * `me` checked against the threads' participants before anything is converted), the threads
 * selected, then each converted on its own, in parallel, into the output in the export's order.
 */
import { finish, refuseOverwritingInput, withOutput, type ConvertIo, type ConvertResult, type LeftOut } from '../convert.js';
import { UsageError } from '../errors.js';
import { checkMeEarly, isMeFor } from '../me.js';
import type { NormalizedConvertOptions, Preset } from '../options.js';
import { runJobs } from './run-jobs.js';
import { openExport, type OpenedExport } from './open-export.js';
import { headersInWaitingWorkers, prestartWorkers } from './runners.js';
import { noThreadsError, resolveOwner, selectThreads } from './select.js';
import { jobsFromPlans } from './thread-job.js';

export async function convertExport(o: NormalizedConvertOptions, io: ConvertIo): Promise<ConvertResult> {
  const say = (line: string) => io.onNotice?.(line);
  // the workers start on the idle core while this one lists the export and reads its headers
  prestartWorkers(o.jobs - 1);
  const opened = await openExport(o.inputs);
  try {
    const { index } = opened;
    // a whole input that cannot be read is left out and fails the run (exit 1); entries refused at
    // listing (unsafe names, links, encryption) are said, as the export's other skips
    const problems: LeftOut[] = [];
    for (const p of opened.problems) {
      if (p.kind === 'unreadable-input') problems.push({ what: p.input, code: p.error.code, message: p.error.message });
      else say(`skipped ${p.error.message}`);
    }
    if (index.threads.length === 0) throw noThreadsError(index, o.inputs);
    await refuseOverwritingInput(o.out, o.inputs, index.threads.flatMap((t) => t.parts));
    // the waiting workers read a share of the headers: nothing else runs until the owner is known
    const me = o.me ?? (await resolveOwner(opened, { elsewhere: headersInWaitingWorkers }));
    const { selected, left } = await selectThreads(opened, { sections: o.sections, groups: o.groups, threads: o.thread });
    if (selected.length === 0) {
      const why = [...left].map(([reason, n]) => `${n} (${reason})`).join(', ');
      throw new UsageError(`no thread selected: of ${index.threads.length}, left out ${why}`);
    }
    if (o.me !== null) await checkMeInHeaders(opened, o.me, o.stages.preset);
    const was = o.me === null ? ' (the export owner; --me to change)' : '';
    say(`${selected.length} of ${index.threads.length} threads, as ${me}${was}`);
    for (const [why, n] of left) say(`left out: ${n} thread${n === 1 ? '' : 's'} (${why})`);
    const joined = selected.filter((t) => t.joined).length;
    if (joined) say(`joined: ${joined} E2EE chat${joined === 1 ? '' : 's'} with ${joined === 1 ? 'its' : 'their'} e2ee_cutover thread${joined === 1 ? '' : 's'} (one conversation each)`);
    for (const a of opened.ambiguousE2ee) say(`not joined: ${a.keys.join(', ')} (the same participants; which continues which is unclear)`);
    for (const s of index.skipped) say(`not read: ${s.count} file${s.count === 1 ? '' : 's'} (${s.reason})`);
    for (const t of selected) if (t.missingParts.length) say(`${t.key}: parts ${t.missingParts.join(', ')} missing (a zip part not given?)`);
    const jobs = jobsFromPlans(selected);
    return await withOutput(o, io, async (outputs) => {
      const result = await runJobs(jobs, o, me, outputs, io);
      return finish(o, me, o.me === null, { ...result, failed: [...problems, ...result.failed] });
    });
  } finally {
    await opened.close();
  }
}

/**
 * `me` close to a participant's name but nobody's in the whole export is a typo: said now, from
 * the headers, not after converting everything. A header that cannot be read ends the check: its
 * thread's own job reports the error, and the check after the run decides.
 */
async function checkMeInHeaders(opened: OpenedExport, me: string, preset: Preset): Promise<void> {
  const isMe = isMeFor(me, preset);
  const people = new Set<string>();
  for (const plan of opened.index.threads) {
    const header = await opened.header(plan).catch(() => null);
    // the owner is in (nearly) every thread: this mostly ends at the first header
    if (header === null || header.participants.some(isMe)) return;
    for (const p of header.participants) people.add(p);
  }
  checkMeEarly(me, [...people], preset);
}
