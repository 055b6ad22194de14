/** What the crash child writes as operation `seq`: `length` characters the parent rebuilds from the child's short line. */
export function contentOf(childSeed: string, seq: number, padding: number, stream: boolean): string {
  return `${childSeed}-${seq}-${(stream ? 'y' : 'x').repeat(padding)}`;
}
