/**
 * `fbstream inspect` starts without the conversion pipeline: the modules lib/export/inspect.ts
 * loads (its static imports, followed through our sources) leave out lib/pipeline.ts and the
 * stages after the decoder. Loading them cost ~20 ms of every inspect's start-up
 * (docs/performance.md#export-index-headers-start-up).
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import t from 'tap';
import { ROOT } from '../support/cli.js';

/** Our modules that `entry` loads when it is imported: `import … from` and `export … from`, not `import type` nor `import()`. */
function staticGraph(entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^(?:import|export)\s+(?!type\b)[^;]*?\bfrom\s+'(\.{1,2}\/[^']+)\.js'/gm)) {
      visit(resolve(dirname(file), `${m[1]}.ts`));
    }
  };
  visit(entry);
  return seen;
}

t.test('the inspector loads no pipeline', async (t) => {
  const graph = [...staticGraph(join(ROOT, 'lib/export/inspect.ts'))].map((f) => f.slice(ROOT.length + 1));
  t.ok(graph.includes('lib/export/open-export.ts') && graph.includes('lib/core/decoder.ts'), 'the walk follows the imports');
  for (const module of ['lib/pipeline.ts', 'lib/export/thread-job.ts', 'lib/core/serializer.ts', 'lib/core/run-merger.ts', 'lib/streams/decoder.ts']) {
    t.notOk(graph.includes(module), `${module} is not loaded`);
  }
});
