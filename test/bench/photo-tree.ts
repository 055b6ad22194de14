// The benches' photo tree: N small files (about 1.1 KB each) in N/100 folders, `folder<d>/photo <i>.jpg`.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The content of photo `i` in folder `d`; `salt` makes a changed version. */
export const photoContent = (d: number, i: number, salt = ''): string => `file ${d}/${i}${salt} `.repeat(80);

export const treeFolders = (files: number): number => Math.max(1, Math.round(files / 100));

export async function makePhotoTree(root: string, files: number): Promise<void> {
  for (let d = 0; d < treeFolders(files); d++) {
    await mkdir(join(root, `folder${d}`), { recursive: true });
    const here = Math.min(100, files - d * 100);
    await Promise.all(Array.from({ length: here }, (_, i) => writeFile(join(root, `folder${d}`, `photo ${i}.jpg`), photoContent(d, i))));
  }
}
