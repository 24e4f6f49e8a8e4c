import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { mkdir, rename } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fsyncDir } from '../core/atomic.js';
import { systemClock } from '../core/clock.js';
import { FailedError } from '../core/errors.js';
import { toolVersion } from '../core/version.js';
import type { Workspace } from '../core/workspace.js';
import { attrs } from './assemble.js';
import { cleanTemporaries } from './clean.js';
import { digestListing, type PendingDigest } from './digest-thread.js';
import { fillData } from './fill.js';
import { findListing, type Listing, readListing, removeListing } from './find-scan.js';
import {
  type Built,
  farmMatches,
  type ManifestBody,
  patchedFromFarm,
  unchangedBuilt,
} from './from-previous.js';
import { NotPatchable } from './incremental.js';
import { assertSystemName, backupDir, backupIdFor, manifestFile, tmpName } from './layout.js';
import { type LinkFarm, startLinkFarm } from './link-farm.js';
import { listingFile, listingName, readKeptListing, reusable } from './listing.js';
import { indexListing, OddListing } from './listing-walk.js';
import type { ManifestHeader } from './manifest.js';
import { entriesKey, entrySeparator, manifestBody, manifestHead } from './manifest-format.js';
import { collectGarbage } from './pool.js';
import {
  findPreviousRef,
  openPrevious,
  previousData,
  previousLines,
  readPreviousBytes,
  streamPreviousLines,
} from './previous.js';
import { removeTree } from './remove.js';
import {
  type SourceOptions,
  type SourceScan,
  type SourceStream,
  scanSource,
  sourcePath,
  statSource,
  streamOf,
  streamSource,
  walkPrune,
} from './source.js';
import { infoFromHeader } from './store.js';
import { tracer } from './trace.js';
import type { BackupInfo, CreateBackupOptions } from './types.js';

/**
 * One backup of one system: `backups/<system>_<stamp>/` with data/ and manifest.json, built in
 * `backups/.tmp-<pid>-<id>/` and renamed into place, so it exists whole or not at all. Files
 * equal (size, mtime, mode, owner) to the previous backup's are hard-linked from it; the rest
 * are copied and hashed in one read.
 *
 * A folder system with a previous backup starts from a link farm of it (link-farm.ts): kept as
 * it is when find lists the source exactly as it listed it last time (listing.ts), else patched
 * to the source: a small tree whole (incremental.ts, patch.ts), a large one as find's listing is
 * walked a folder at a time (listing-walk.ts, fill.ts). Otherwise, or when those cannot, the
 * tree is built file by file (fill.ts). All give the same tree and the same manifest entries.
 */
export async function createBackup(opts: CreateBackupOptions): Promise<BackupInfo> {
  const { ws, system, signal } = opts;
  const clock = opts.clock ?? systemClock;
  assertSystemName(system.name);
  const lap = tracer(`backup ${system.name}`);
  await mkdir(ws.backupsDir, { recursive: true });
  await cleanTemporaries(ws);
  lap('clean');
  const source = sourcePath(ws, system);
  const missing = () =>
    new FailedError(
      `system ${system.name}: ${source} does not exist, so there is nothing to back up ` +
        '(check the plan path and its vars)',
    );
  const rootSt = statSource(system, source);
  if (!rootSt) throw missing();
  const createdAt = clock.now();
  const id = freeId(ws, system.name, createdAt);
  const tmp = join(ws.backupsDir, tmpName(id));
  const data = join(tmp, 'data');
  mkdirSync(tmp);
  let farm: LinkFarm | undefined;
  let listingDigestOf: PendingDigest | undefined;
  const headerFor = (built: Built): ManifestHeader => ({
    version: 2 as const,
    id,
    system: system.name,
    source,
    sourceType: rootSt.isDirectory() ? 'dir' : 'file',
    phase: opts.phase,
    runId: opts.runId,
    toolVersion: toolVersion(),
    createdAt: createdAt.toISOString(),
    excludes: [...system.exclude],
    ...(rootSt.isDirectory() ? { root: attrs(rootSt) } : {}),
    previous: built.previous,
    skipped: [
      ...built.skipped,
      ...built.vanished.map((path) => ({ path, reason: 'vanished during the copy' })),
    ],
    hardLinks: built.hardLinks,
    totals: built.totals,
  });
  try {
    const kind = rootSt.isDirectory() ? 'dir' : 'file';
    const prevRef = await findPreviousRef(ws, system.name, source, kind);
    const kept = prevRef ? readKeptListing(prevRef.dir) : undefined;
    // The link farm's patch and a walk read from find's listing whole hold the whole tree:
    // above this size the farm is patched as the listing is walked a folder at a time.
    const small = prevRef === undefined || prevRef.entries <= wholeTreeLimit();
    const farmed = kind === 'dir' && linkFarmWanted() && prevRef !== undefined;
    // Three processes at once: a link farm of the previous backup (cp), a listing of the
    // source (find), and this one, which reads the previous manifest meanwhile. Whatever the
    // listing says, the farm is used: kept as it is, or patched to the source.
    if (farmed) farm = startLinkFarm(previousData(prevRef), data);
    const listing =
      kind === 'dir'
        ? findListing(source, join(tmp, 'listing'), { excludes: system.exclude, backupsDir: ws.backupsDir })
        : Promise.resolve(undefined);
    // A first backup does not wait for find: its listing only vouches for the backup at the
    // end (by digest), while find and the copy run side by side.
    const found = prevRef ? await listing : undefined;
    if (prevRef)
      lap(
        `source listed${found ? ` (${found.records} records)` : ' (not by find)'}${farm ? ', link farm started' : ''}`,
      );
    const extent = opts.onExtent ?? (() => {});
    if (kind === 'file')
      extent({ files: 1, bytes: rootSt.size, ...(prevRef ? {} : { toRead: rootSt.size }) });
    else if (!prevRef)
      void listing.then((l) => l && extent({ files: l.files, bytes: l.bytes, toRead: l.bytes }));

    let built: Built | undefined;
    /** The sha256 of a manifest.json already written for this backup. */
    let written: string | undefined;
    // The previous manifest is read only if the listing is the one kept with it: not while
    // find and cp run, whose cores it would take for nothing when the source changed.
    const candidate =
      farmed && found && kept?.listing === found.hash
        ? reusable(manifestFile(ws, prevRef.id), prevRef.id, kept, system.exclude)
        : undefined;
    const reuse = found && candidate?.listedAs === found.hash ? candidate : undefined;
    lap(
      reuse
        ? 'unchanged since the previous backup'
        : `changed since the previous backup (${prevRef?.id ?? 'none'})`,
    );
    if (reuse) {
      const { files, bytes } = reuse.header.totals;
      extent({ files, bytes, toRead: 0, linked: files });
    } else if (found) extent({ files: found.files, bytes: found.bytes });
    if (reuse && farm && prevRef) {
      // The manifest is known before the farm is made: written while cp makes it.
      const unchanged = unchangedBuilt(reuse, prevRef.id);
      written = writeManifest(tmp, headerFor(unchanged), unchanged.body);
      lap('manifest written while the link farm is made');
      // Else it is written again, over this one, for what is built instead.
      if (await farmMatches(data, farm, reuse, rootSt, lap)) built = unchanged;
      else written = undefined;
    }
    const listed = !built && found && small ? readListing(found, wholeTreeLimit()) : undefined;
    // A large tree's walk is read from the listing a folder at a time.
    const index = !built && found && !listed ? indexListing(found) : undefined;
    /** The tree built file by file (fill.ts), from the listing when there is one, or from the farm. */
    const fill = async (src: SourceStream | undefined, patched?: LinkFarm): Promise<Built> => {
      if (!src) throw missing();
      // A farm's patch reads the previous manifest's lines; a build file by file, its entries.
      const lines = patched && prevRef ? streamPreviousLines(prevRef) : undefined;
      if (patched && !lines) throw new NotPatchable('the previous manifest is not as this version writes it');
      const previous = patched ? undefined : await openPrevious(ws, prevRef);
      // A walk not read from the listing is compared with it by digest (set-digest.ts): the
      // listing's is made meanwhile, a first backup's as soon as find is done.
      if (kind === 'dir' && !src.listed) {
        const { avoid } = walkPrune(ws, system);
        const start = (l: Listing) => {
          listingDigestOf ??= digestListing(l, system.exclude, avoid);
        };
        if (found) start(found);
        else void listing.then((l) => l && start(l));
      }
      const digest = kind === 'dir' && !src.listed;
      const filled = await fillData(
        data,
        src,
        previous,
        { digest, ...(lines && patched ? { farm: { lines, farm: patched } } : {}) },
        signal,
        lap,
      );
      return {
        body: { file: filled.entriesFile, temporary: true },
        ...filled,
        skipped: src.summary.skipped,
        previous: lines ? prevRef!.id : (previous?.ref.id ?? null),
        listed: src.listed === true,
      };
    };
    let scan: SourceScan | undefined;
    if (!built && farm && small) {
      // A link farm of a small tree is patched by comparing every file's stat (the listing has them).
      scan = await scanSource(ws, system, {
        ...(signal ? { signal } : {}),
        statFiles: true,
        ...(listed ? { listing: listed } : {}),
      });
      if (!scan) throw missing();
      lap(`walk (${scan.entries.length} entries)`);
      const prevBytes = readPreviousBytes(ws, prevRef!);
      const prevLines = prevBytes && previousLines(prevBytes);
      if (prevLines) built = await patchedFromFarm(data, farm, scan, prevLines, signal, lap);
    }
    const sourceFrom = (from: SourceOptions) =>
      streamSource(ws, system, { ...(signal ? { signal } : {}), ...from });
    let indexed = index !== undefined;
    if (!built && farm && index) {
      // Patched as the walk goes, while cp is still making the farm's last folders.
      try {
        built = await fill(sourceFrom({ index }), farm);
      } catch (err) {
        if (!(err instanceof NotPatchable || err instanceof OddListing)) throw err;
        lap(`link farm not usable (${err.message}): copying file by file`);
        indexed = false;
      }
    }
    if (!built) {
      await farm?.stop();
      await removeTree(data);
      // What a farm's patch left is garbage, collected before the build's threads start.
      if (farm) collectGarbage();
      const from = () =>
        scan ? streamOf(scan) : sourceFrom(listed ? { listing: listed } : indexed && index ? { index } : {});
      try {
        built = await fill(from());
      } catch (err) {
        if (!(err instanceof OddListing)) throw err;
        lap(`listing not walkable (${err.message}): walking the source`);
        indexed = false;
        await removeTree(data);
        built = await fill(from());
      }
    }
    // The listing is kept if the entries are what it says: the walk was read from it and
    // every file was as listed when read, or what was backed up has the listing's digest.
    const vouching = found ?? (await listing);
    if (vouching) {
      // Begun for every build that digests (fill.ts), and waited for in any case: a thread of
      // its own may still be reading the listing.
      const listedDigest = await listingDigestOf?.value();
      const vouched = built.listed
        ? built.asWalked
        : built.digest !== undefined && built.digest === listedDigest;
      if (built.vanished.length === 0 && vouched) built.listing = vouching.hash;
      removeListing(vouching);
    }
    lap(`listing ${built.listing ? 'kept' : 'not kept'}`);
    const header = headerFor(built);
    const { finalId, hash } = await publish(ws, tmp, header, built.body, built.listing, written);
    lap('manifest written, renamed into place');
    return { ...infoFromHeader(ws, { ...header, id: finalId }, hash), skipped: header.skipped };
  } catch (err) {
    await farm?.stop();
    await removeTree(tmp).catch(() => {});
    throw err;
  }
}

/**
 * Entries of a tree up to which a backup may hold the whole tree (the link farm's paths, find's
 * listing read whole): ~1 KB an entry, 60 MB here; above it, a batch at a time (the farm patched
 * as the listing is walked a folder at a time, or the tree built file by file).
 * `GNR_MIGRATE_BACKUP_WHOLE_TREE` sets it (the tests make it small to take those paths).
 */
const wholeTreeLimit = () => Number(process.env.GNR_MIGRATE_BACKUP_WHOLE_TREE) || 60_000;

/** `GNR_MIGRATE_BACKUP_LINK_FARM=0` builds every backup file by file (the fallback path). */
const linkFarmWanted = () => process.env.GNR_MIGRATE_BACKUP_LINK_FARM !== '0';

function writeAll(fd: number, bytes: Buffer): void {
  for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off);
}

/**
 * manifestBody(lines), written a few thousand lines at a time: the whole body as one string
 * (and then its bytes) was ~500 bytes a file held at once, 50 MB at 100,000 files.
 */
function writeBody(lines: string[], put: (bytes: Buffer) => void): void {
  if (lines.length === 0) {
    put(Buffer.from(manifestBody(lines)));
    return;
  }
  const step = 4096;
  for (let i = 0; i < lines.length; i += step) {
    const part = lines.slice(i, i + step).join(entrySeparator);
    put(Buffer.from(i === 0 ? `${entriesKey}\n    ${part}` : `${entrySeparator}${part}`));
  }
  put(Buffer.from('\n  ]\n}\n'));
}

/** The entries part of a file (an EntrySink's, or the previous manifest's), a MiB at a time. */
function copyBody(file: string, from: number, put: (bytes: Buffer) => void): void {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    let at = from;
    for (let n = readSync(fd, buf, 0, buf.length, at); n > 0; n = readSync(fd, buf, 0, buf.length, at)) {
      put(buf.subarray(0, n));
      at += n;
    }
  } finally {
    closeSync(fd);
  }
}

/** The first `<system>_<stamp>[-N]` not taken. */
export function freeId(ws: Workspace, system: string, at: Date): string {
  for (let seq = 1; ; seq++) {
    const id = backupIdFor(system, at, seq);
    if (!existsSync(backupDir(ws, id)) && !existsSync(join(ws.backupsDir, tmpName(id)))) return id;
  }
}

/** manifest.json in `tmp`, fsynced: the header, then the entries; gives its sha256. */
function writeManifest(
  tmp: string,
  header: ManifestHeader,
  body: string | Buffer | string[] | ManifestBody,
): string {
  const fd = openSync(join(tmp, 'manifest.json'), 'w', 0o644);
  const sha = createHash('sha256');
  const put = (bytes: Buffer) => {
    sha.update(bytes);
    writeAll(fd, bytes);
  };
  try {
    put(Buffer.from(manifestHead(header)));
    if (Array.isArray(body)) writeBody(body, put);
    else if (typeof body === 'object' && 'file' in body) copyBody(body.file, body.from ?? 0, put);
    else put(typeof body === 'string' ? Buffer.from(body) : body);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return sha.digest('hex');
}

/**
 * Writes the manifest (unless already `written`: its sha256) and renames the folder into place.
 * Another process that took the same id meanwhile (none should: the workspace lock) bumps ours
 * to the next `-N`, and the manifest is written again with it.
 */
async function publish(
  ws: Workspace,
  tmp: string,
  header: ManifestHeader,
  body: string | Buffer | string[] | ManifestBody,
  listing: string | undefined,
  written: string | undefined,
): Promise<{ finalId: string; hash: string }> {
  for (let attempt = 0; ; attempt++) {
    const hash = attempt === 0 && written ? written : writeManifest(tmp, header, body);
    // A cache: not synced; lost or cut short by a crash, it just does not match next time.
    if (listing) writeFileSync(join(tmp, listingName), listingFile(hash, header.excludes, listing));
    try {
      await rename(tmp, backupDir(ws, header.id));
      // Kept until here for a retry under another id; only manifest.json says what it held.
      if (typeof body === 'object' && 'file' in body && body.temporary)
        rmSync(join(backupDir(ws, header.id), basename(body.file)), { force: true });
      await fsyncDir(ws.backupsDir);
      return { finalId: header.id, hash };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if ((code !== 'ENOTEMPTY' && code !== 'EEXIST') || attempt > 20) throw err;
      header = { ...header, id: freeId(ws, header.system, new Date(header.createdAt)) };
    }
  }
}
