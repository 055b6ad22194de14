// Relative POSIX paths as the API takes them: joining, breadcrumbs, and names a person may type.

export function joinPath(dir: string, name: string): string {
  return dir ? `${dir}/${name}` : name;
}

export function crumbs(dir: string): { name: string; path: string }[] {
  const parts = dir.split('/').filter(Boolean);
  return parts.map((name, i) => ({ name, path: parts.slice(0, i + 1).join('/') }));
}

/** A message when the name cannot be a single path segment; the core checks the rest (reserved characters per drive). */
export function nameProblem(name: string): string | null {
  if (!name.trim()) return 'Enter a name.';
  if (name.includes('/')) return 'A name cannot contain "/".';
  if (name === '.' || name === '..') return `"${name}" means ${name === '.' ? 'this folder' : 'the folder above'}: choose another name.`;
  return null;
}

export function parentPath(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/**
 * "Keep both": the first of "name (1).ext", "name (2).ext", … not in `taken` (compared without case, as a drive that
 * ignores case would). A name already ending in " (n)" counts on from there.
 */
export function nextFreeName(name: string, taken: Iterable<string>): string {
  const used = new Set([...taken].map((n) => n.toLowerCase()));
  const dot = name.lastIndexOf('.');
  const [stem, ext] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
  const numbered = /^(.*) \((\d+)\)$/.exec(stem);
  const base = numbered ? numbered[1]! : stem;
  for (let n = numbered ? Number(numbered[2]) + 1 : 1; ; n++) {
    const candidate = `${base} (${n})${ext}`;
    if (!used.has(candidate.toLowerCase())) return candidate;
  }
}
