// An attachment that turns an element into a drop target for files and folders: highlight while dragging, hand over
// what was dropped (folders walked, keeping their structure: folder-upload.ts).
import type { Attachment } from 'svelte/attachments';
import { fromDrop, type Picked } from './folder-upload.ts';

/** The parts of a drop event used here (a test may dispatch a plain Event carrying a stand-in dataTransfer). */
type DropLike = Event & { dataTransfer: DataTransfer | null };

export function dropzone(ondrop: (picked: Promise<Picked>) => void, onhover: (over: boolean) => void): Attachment<HTMLElement> {
  return (el) => {
    let depth = 0;
    const hasFiles = (e: DropLike) => e.dataTransfer?.types.includes('Files') ?? false;
    const enter = (e: DropLike) => { if (!hasFiles(e)) return; e.preventDefault(); depth++; onhover(true); };
    const over = (e: DropLike) => { if (!hasFiles(e)) return; e.preventDefault(); if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy'; };
    const leave = () => { depth = Math.max(0, depth - 1); if (depth === 0) onhover(false); };
    const drop = (e: DropLike) => {
      if (!hasFiles(e) || !e.dataTransfer) return;
      e.preventDefault();
      depth = 0;
      onhover(false);
      ondrop(fromDrop(e.dataTransfer));
    };
    const on = (type: string, f: (e: DropLike) => void) => el.addEventListener(type, f as EventListener);
    const off = (type: string, f: (e: DropLike) => void) => el.removeEventListener(type, f as EventListener);
    on('dragenter', enter); on('dragover', over); on('dragleave', leave); on('drop', drop);
    return () => { off('dragenter', enter); off('dragover', over); off('dragleave', leave); off('drop', drop); };
  };
}
