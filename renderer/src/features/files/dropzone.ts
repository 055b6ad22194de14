// An attachment that turns an element into a drop target for files: highlight while dragging, hand over the files.
import type { Attachment } from 'svelte/attachments';

export function dropzone(onfiles: (files: File[]) => void, onhover: (over: boolean) => void): Attachment<HTMLElement> {
  return (el) => {
    let depth = 0;
    const hasFiles = (e: DragEvent) => e.dataTransfer?.types.includes('Files') ?? false;
    const enter = (e: DragEvent) => { if (!hasFiles(e)) return; e.preventDefault(); depth++; onhover(true); };
    const over = (e: DragEvent) => { if (!hasFiles(e)) return; e.preventDefault(); if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy'; };
    const leave = () => { depth = Math.max(0, depth - 1); if (depth === 0) onhover(false); };
    const drop = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      depth = 0;
      onhover(false);
      onfiles([...(e.dataTransfer?.files ?? [])]);
    };
    el.addEventListener('dragenter', enter);
    el.addEventListener('dragover', over);
    el.addEventListener('dragleave', leave);
    el.addEventListener('drop', drop);
    return () => {
      el.removeEventListener('dragenter', enter);
      el.removeEventListener('dragover', over);
      el.removeEventListener('dragleave', leave);
      el.removeEventListener('drop', drop);
    };
  };
}
