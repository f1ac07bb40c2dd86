/**
 * Dead letters in a local folder (CLI use, no storage account). Each put() writes a hidden temp file,
 * fsyncs it, renames it into place and fsyncs the folder: rename is atomic, so after a crash a unit is
 * either there complete or not there at all, and list() never sees a half-written one.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { DeadLetterEntry } from './types';
import {
  DeadLetterWriteError, decodeEntries, errorText, encodeEntries, sortUnits, summarize, timeFromName, unitStamp,
  type DeadLetterUnit, type DeadLetterUnitStore, type UnitKind,
} from './unit';

export interface LocalDirDeadLetterStoreOptions {
  dir: string;
  now?: () => Date;
  /** Test hook: runs after the temp file is written and synced, before the rename. */
  beforeRename?: (tempPath: string) => Promise<void> | void;
}

/** Unit file names: `<ISO time with - for :>-<kind>-<random>.ndjson`, valid on every file system. */
const UNIT_FILE = /^\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}\.\d{3}Z-(delivery-failed|parse-error|mixed)-[0-9a-f]{12}\.ndjson$/;

async function fsyncDir(dir: string): Promise<void> {
  let handle: fsp.FileHandle | undefined;
  try {
    handle = await fsp.open(dir, 'r');
    await handle.sync();
  } catch (err) {
    // Some platforms (Windows) cannot open or fsync a directory; the rename itself is still atomic.
    const code = (err as { code?: string }).code;
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL' && code !== 'EACCES') throw err;
  } finally {
    await handle?.close();
  }
}

export class LocalDirDeadLetterStore implements DeadLetterUnitStore {
  readonly name: string;
  private readonly dir: string;
  private readonly now: () => Date;
  private readonly beforeRename?: (tempPath: string) => Promise<void> | void;

  constructor(opts: LocalDirDeadLetterStoreOptions) {
    this.dir = path.resolve(opts.dir);
    this.name = `dir:${this.dir}`;
    this.now = opts.now ?? (() => new Date());
    this.beforeRename = opts.beforeRename;
  }

  async put(entries: readonly DeadLetterEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const { kind } = summarize(entries);
    const { iso, random } = unitStamp(this.now());
    const file = `${iso.replace(/:/g, '-')}-${kind}-${random}.ndjson`;
    const temp = path.join(this.dir, `.${file}.tmp`);
    let handle: fsp.FileHandle | undefined;
    try {
      const body = encodeEntries(entries);
      await fsp.mkdir(this.dir, { recursive: true });
      handle = await fsp.open(temp, 'wx', 0o600);
      await handle.writeFile(body);
      await handle.sync();
      await handle.close();
      handle = undefined;
      await this.beforeRename?.(temp);
      await fsp.rename(temp, path.join(this.dir, file));
      await fsyncDir(this.dir);
    } catch (err) {
      await handle?.close().catch(() => undefined);
      await fsp.rm(temp, { force: true }).catch(() => undefined);
      throw new DeadLetterWriteError(this.name, entries.length, err);
    }
  }

  async list(): Promise<DeadLetterUnit[]> {
    let names: string[];
    try {
      names = await fsp.readdir(this.dir);
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOENT') return [];
      throw err;
    }
    const units: DeadLetterUnit[] = [];
    for (const id of names) {
      // Hidden temp files are writes that never finished (a crash): not units.
      if (!UNIT_FILE.test(id)) continue;
      const data = await fsp.readFile(path.join(this.dir, id));
      const createdAt = timeFromName(id) ?? '';
      try {
        units.push({ id, createdAt, bytes: data.length, ...summarize(decodeEntries(id, data)) });
      } catch (err) {
        const kind = (UNIT_FILE.exec(id)?.[1] ?? 'mixed') as UnitKind;
        units.push({ id, createdAt, bytes: data.length, ...summarize([]), kind, problem: errorText(err) });
      }
    }
    return sortUnits(units);
  }

  async read(id: string): Promise<DeadLetterEntry[]> {
    return decodeEntries(id, await fsp.readFile(this.pathOf(id)));
  }

  async delete(id: string): Promise<void> {
    try {
      await fsp.unlink(this.pathOf(id));
    } catch (err) {
      if ((err as { code?: string }).code !== 'ENOENT') throw err;
      return;
    }
    await fsyncDir(this.dir);
  }

  /** Only names this store writes: an id can never point outside the folder. */
  private pathOf(id: string): string {
    if (!UNIT_FILE.test(id)) throw new Error(`not a dead-letter unit name: "${id}"`);
    return path.join(this.dir, id);
  }
}
