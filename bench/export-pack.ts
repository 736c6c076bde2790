/**
 * The zip parts of a written export (bench/export-tree.ts), and the folder that keeps the tree, the
 * zips and a manifest of what they were made with, reused by later runs with the same options.
 *
 * - Zip parts: the files in path order, cut into `--zip-parts` parts of about equal zip size (so
 *   a thread's files, even its message_N parts, may straddle two zips, as in Meta's downloads);
 *   JSON deflated, media stored.
 */
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { finished } from 'node:stream/promises';
import yazl from 'yazl';
import { formatSize, DEFAULT_NEWEST_MS, DEFAULT_OWNER, DEFAULT_PER_PART } from './generate.js';
import { realThreadCount } from './real-shape.js';
import { type ExportOptions, type ExportShape, defaultThreadCount } from './export-plan.js';
import { type ExportStats, writeExport } from './export-tree.js';

/** What a generated export folder holds a record of: the options it was made with, and its figures. */
const MANIFEST = 'fbstream-bench-export.json';

export interface ZipStats {
  paths: string[];
  bytes: number[];
  entries: number[];
  /** Threads whose message_N parts are in more than one zip. */
  splitThreads: number;
  seconds: number;
}

function listFiles(root: string): { rel: string; size: number }[] {
  const out: { rel: string; size: number }[] = [];
  const visit = (dir: string) => {
    for (const d of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const full = join(dir, d.name);
      if (d.isDirectory()) visit(full);
      else if (d.isFile() && d.name !== MANIFEST) out.push({ rel: relative(root, full).split(sep).join('/'), size: statSync(full).size });
    }
  };
  visit(root);
  return out;
}

/**
 * Pack the tree at `root` into `parts` zips in `outDir` (`<name>-1.zip`, …): the files in path
 * order, cut where each part's estimated zip size (JSON at ~1/8, media as is) reaches its share.
 * JSON deflated (yazl's default level), everything else stored. The parts are written at once.
 */
export async function packExport(root: string, outDir: string, parts: number, name = 'facebook-adalovelace-2024-06-01'): Promise<ZipStats> {
  const t0 = process.hrtime.bigint();
  if (!Number.isInteger(parts) || parts < 1) throw new TypeError(`zip parts must be an integer >= 1, got ${parts}`);
  mkdirSync(outDir, { recursive: true });
  const files = listFiles(root);
  const isJson = (rel: string) => rel.endsWith('.json');
  const cost = (f: { rel: string; size: number }) => (isJson(f.rel) ? f.size / 8 : f.size);
  const total = files.reduce((a, f) => a + cost(f), 0);
  const groups: { rel: string; size: number }[][] = Array.from({ length: parts }, () => []);
  let acc = 0;
  for (const f of files) {
    const i = Math.min(parts - 1, Math.floor((acc / total) * parts));
    groups[i]!.push(f);
    acc += cost(f);
  }
  const mtime = new Date(DEFAULT_NEWEST_MS);
  const paths = groups.map((_, i) => join(outDir, parts === 1 ? `${name}.zip` : `${name}-${i + 1}.zip`));
  await Promise.all(groups.map(async (group, i) => {
    const zip = new yazl.ZipFile();
    for (const f of group) zip.addFile(join(root, f.rel), f.rel, { compress: isJson(f.rel), mtime });
    zip.end();
    const out = createWriteStream(paths[i]!);
    zip.outputStream.pipe(out);
    await finished(out);
  }));
  // threads whose parts straddle zips
  const where = new Map<string, Set<number>>();
  groups.forEach((group, i) => {
    for (const f of group) {
      const m = /^(.*)\/message_\d+\.json$/.exec(f.rel);
      if (!m) continue;
      let s = where.get(m[1]!);
      if (!s) where.set(m[1]!, (s = new Set()));
      s.add(i);
    }
  });
  return {
    paths,
    bytes: paths.map((p) => statSync(p).size),
    entries: groups.map((g) => g.length),
    splitThreads: [...where.values()].filter((s) => s.size > 1).length,
    seconds: Number(process.hrtime.bigint() - t0) / 1e9,
  };
}

// ---------------------------------------------------------------------------------------------
// Generated once, reused: a folder with the tree, the zips, and a manifest

interface Manifest {
  /** `shape` only when not `big`: the big shape's manifests stay as they were, and are reused. */
  options: Required<Omit<ExportOptions, 'threads' | 'shape'>> & { threads: number; zipParts: number; shape?: ExportShape };
  tree: ExportStats;
  zips: ZipStats;
}

/** The tree and the zips in `dir` (`dir/<root>/…`, `dir/zips/…`): reused when its manifest matches. */
export async function prepareExport(dir: string, options: ExportOptions, zipParts: number, log: (s: string) => void = () => {}): Promise<Manifest> {
  const want: Manifest['options'] = {
    size: options.size, seed: options.seed ?? 1, owner: options.owner ?? DEFAULT_OWNER, mediaRatio: options.mediaRatio ?? 1,
    threads: options.threads ?? (options.shape === 'real' ? realThreadCount(options.size) : defaultThreadCount(options.size)),
    perPart: options.perPart ?? DEFAULT_PER_PART, zipParts, ...(options.shape === 'real' && { shape: options.shape }),
  };
  const manifestPath = join(dir, MANIFEST);
  if (existsSync(manifestPath)) {
    try {
      const m = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
      if (JSON.stringify(m.options) === JSON.stringify(want) && m.zips.paths.every((p) => existsSync(p))) {
        log(`reusing the export in ${dir}\n`);
        return m;
      }
    } catch {
      // regenerate
    }
  }
  rmSync(join(dir, 'tree'), { recursive: true, force: true });
  rmSync(join(dir, 'zips'), { recursive: true, force: true });
  const root = join(dir, 'tree', 'facebook-adalovelace-2024-06-01');
  log(`generating a ${formatSize(want.size)} export, shape ${want.shape ?? 'big'} (${want.threads} threads, media x${want.mediaRatio})...`);
  const tree = writeExport(root, want);
  log(` ${tree.threads} threads, ${tree.parts} parts, ${formatSize(tree.jsonBytes)} JSON + ${formatSize(tree.mediaBytes)} media in ${tree.seconds.toFixed(1)} s\n`);
  log(`packing into ${zipParts} zip part${zipParts === 1 ? '' : 's'}...`);
  const zips = await packExport(root, join(dir, 'zips'), zipParts);
  if (tree.e2eeRoot) {
    // the E2EE download is a zip of its own, given beside the export's parts
    const e = await packExport(tree.e2eeRoot, join(dir, 'zips'), 1, 'messages-e2ee-adalovelace');
    zips.paths.push(...e.paths);
    zips.bytes.push(...e.bytes);
    zips.entries.push(...e.entries);
    zips.seconds += e.seconds;
  }
  log(` ${zips.bytes.map(formatSize).join(' + ')} in ${zips.seconds.toFixed(1)} s\n`);
  const m: Manifest = { options: want, tree, zips };
  writeFileSync(manifestPath, JSON.stringify(m, null, 2));
  return m;
}
