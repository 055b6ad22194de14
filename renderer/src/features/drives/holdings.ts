// What a drive or folder already holds, in words for the picker (from 'drives.inspect'), and whether it is the user's data.
import type { FolderContents } from '../../../../core/contract/types.ts';
import { formatBytes } from '../../ui/format.ts';

const count = (n: number) => n.toLocaleString('en-US');

/** Files or folders of the user's (system names and our metadata are not counted by the core). */
export function holdsUserData(c: FolderContents | undefined): boolean {
  return !!c && !c.member && (c.files > 0 || c.folders > 0);
}

/** "2,000 files in 40 folders · 1.2 GB", "more than 100,000 files · at least 3 TB", "nothing". */
export function describeHoldings(c: FolderContents): string {
  if (c.files === 0 && c.folders === 0) return c.complete ? 'nothing' : 'nothing counted yet';
  const more = c.complete ? '' : 'more than ';
  const files = `${more}${count(c.files)} file${c.files === 1 ? '' : 's'}`;
  const folders = c.folders > 0 ? ` in ${more}${count(c.folders)} folder${c.folders === 1 ? '' : 's'}` : '';
  return `${files}${folders} · ${c.complete ? '' : 'at least '}${formatBytes(c.bytes)}`;
}

/** One line about a folder for a drive row. */
export function holdingsLine(c: FolderContents, where: string): string {
  if (!c.exists) return `${where} does not exist yet: it will be created, empty.`;
  if (c.member) return `${where} holds a member of the mirror ${c.member.mirrorLabel ? `"${c.member.mirrorLabel}"` : c.member.mirrorId}.`;
  if (!holdsUserData(c)) return `${where} holds no files.`;
  return `${where} holds ${describeHoldings(c)}.`;
}

/** "lost+found and .DS_Store are the drive's own: left where they are, never copied." */
export function systemNote(c: FolderContents): string | null {
  const n = c.systemNames;
  if (n.length === 0) return null;
  const list = n.length <= 3 ? n.join(', ') : `${n.slice(0, 3).join(', ')} and ${n.length - 3} more`;
  return `${list} ${n.length === 1 ? 'is' : 'are'} the system's own, not your files: left where ${n.length === 1 ? 'it is' : 'they are'}, never copied.`;
}
