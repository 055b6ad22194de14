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
  if (name === '.' || name === '..') return 'That name is reserved.';
  return null;
}
