// In-memory stand-ins for the engine and the drives layer, for tests of the hosts (handlers, server, IPC) that
// must not depend on real disks: a Mirror over a Map, and CoreDeps that hand it out.
import type { CoreDeps, DriveChange } from '../../core/api/app-deps.ts';
import type { Mirror } from '../../core/mirror/mirror-api.ts';
import type { DirEntry, DriveInfo, MemberSpec, MirrorEvent, MirrorOptions, MirrorStatus } from '../../core/api/types.ts';
import { MirrorError } from '../../core/api/errors.ts';

export class FakeMirror implements Mirror {
  readonly id: string;
  readonly files = new Map<string, Uint8Array>();
  readonly listeners = new Set<(e: MirrorEvent) => void>();
  stopped = false;
  status_: MirrorStatus;

  constructor(o: MirrorOptions, id = 'mirror-1') {
    this.id = id;
    this.status_ = {
      id, label: o.label ?? 'Fake', state: 'clean',
      members: o.members.map((m, i) => ({
        id: `m${i}`, label: m.label ?? m.path, path: m.path, writeMostly: m.writeMostly ?? false,
        state: 'in_sync', behindWrites: 0, behindBytes: 0, oldestBehindMs: 0,
      })),
    };
  }

  emit(e: MirrorEvent): void { for (const l of this.listeners) l(e); }
  #live(): void { if (this.stopped) throw new MirrorError('ESTOPPED', 'stopped'); }

  async writeFile(path: string, data: Uint8Array | string | AsyncIterable<Uint8Array>) {
    this.#live();
    if (path.includes('..')) throw new MirrorError('EINVALIDPATH', `Bad path ${path}`, { path });
    this.files.set(path, typeof data === 'string' ? new TextEncoder().encode(data) : data as Uint8Array);
  }
  async readFile(path: string) {
    const d = this.files.get(path);
    if (!d) throw new MirrorError('ENOTFOUND', `No file ${path}`, { path });
    return d;
  }
  async readdir(_path: string): Promise<DirEntry[]> {
    return [...this.files].map(([name, d]) => ({ name, type: 'file', size: d.byteLength, mtimeMs: 0 }));
  }
  async stat(path: string) { return { type: 'file' as const, size: (await this.readFile(path)).byteLength, mtimeMs: 0 }; }
  async mkdir() { this.#live(); }
  async remove(path: string) { this.files.delete(path); }
  async rename(from: string, to: string) { this.files.set(to, await this.readFile(from)); this.files.delete(from); }
  status(): MirrorStatus { return structuredClone(this.status_); }
  onEvent(l: (e: MirrorEvent) => void) { this.listeners.add(l); return () => { this.listeners.delete(l); }; }
  #member(id: string) {
    const m = this.status_.members.find((x) => x.id === id);
    if (!m) throw new MirrorError('ENOMEMBER', `No member ${id}`, { memberId: id });
    return m;
  }
  async failMember(id: string) { this.#member(id).state = 'faulty'; this.emit({ type: 'member-state', memberId: id, state: 'faulty' }); }
  async eject(id: string) {
    const m = this.#member(id);
    this.emit({ type: 'behind', memberId: id, behindWrites: 0, behindBytes: 0 });
    m.state = 'removed';
    this.emit({ type: 'member-state', memberId: id, state: 'removed' });
  }
  async addMember(spec: MemberSpec) {
    const id = `m${this.status_.members.length}`;
    this.status_.members.push({ id, label: spec.label ?? spec.path, path: spec.path, writeMostly: !!spec.writeMostly, state: 'resyncing', behindWrites: 0, behindBytes: 0, oldestBehindMs: 0 });
    return id;
  }
  async stop() { this.stopped = true; this.status_.state = 'stopped'; }
  async drain() {}
  async scrub() { return { checkedPaths: this.files.size, mismatches: 0, repaired: 0 }; }
}

export interface FakeDeps extends CoreDeps {
  mirrors: FakeMirror[];
  drives: DriveInfo[];
  driveListeners: Set<(e: DriveChange) => void>;
  opened: Omit<MirrorOptions, 'label'>[];
}

export function fakeDeps(o: { failOpen?: boolean } = {}): FakeDeps {
  const deps: FakeDeps = {
    mirrors: [],
    drives: [{ mountPoint: '/media/usb', device: '/dev/sdb1', filesystem: 'exfat', sizeBytes: 1e9, freeBytes: 5e8, removable: true, readOnly: false, system: false }],
    driveListeners: new Set(),
    opened: [],
    async createMirror(mo) {
      if (mo.members.some((m) => m.path === '/readonly')) throw new MirrorError('EREADONLY', 'The folder /readonly is read-only.', { path: '/readonly' });
      const m = new FakeMirror(mo, `mirror-${deps.mirrors.length + 1}`);
      deps.mirrors.push(m);
      return m;
    },
    async openMirror(mo) {
      deps.opened.push(mo);
      if (o.failOpen) throw new MirrorError('ENOMEMBER', 'No member of the mirror was found at the saved folders; plug the drives in.');
      const m = new FakeMirror(mo, 'mirror-1');
      deps.mirrors.push(m);
      return m;
    },
    async listDrives() { return deps.drives; },
    watchDrives(l) { deps.driveListeners.add(l); return () => { deps.driveListeners.delete(l); }; },
    async checkPlacement(specs) {
      return specs.filter((s) => s.path === '/').map((s) => ({ memberPath: s.path, severity: 'warning' as const, code: 'SYSTEM', message: 'system drive' }));
    },
    async ejectDrive(mirror, memberId, onProgress) {
      onProgress?.({ phase: 'flushing', behindWrites: 1, behindBytes: 10, etaMs: 5 });
      await mirror.eject(memberId);
      onProgress?.({ phase: 'unmounting', behindWrites: 0, behindBytes: 0 });
      onProgress?.({ phase: 'done', behindWrites: 0, behindBytes: 0 });
    },
  };
  return deps;
}
