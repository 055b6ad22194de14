// Where a member keeps the mirror's own metadata (superblock, journal, manifest, trash): one folder at its root.
export const META_DIR = '.nas-mirror';
