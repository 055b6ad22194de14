// What a filesystem accepts, known from its name (placement checks must not write to a drive to find out).
import { POSIX_RULES, type NameRules } from '../mirror/paths.ts';

export const FAT32_MAX_FILE = 4 * 1024 ** 3 - 1;

/** Filesystem names as findmnt/blkid, diskutil and Get-Volume spell them (lower-cased by the listings). */
export function rulesFor(filesystem: string): NameRules {
  switch (filesystem.toLowerCase()) {
    case 'vfat': case 'msdos': case 'fat': case 'fat32': case 'fat16':
      return { caseInsensitive: true, windowsNames: true, maxFileSize: FAT32_MAX_FILE };
    case 'exfat': case 'ntfs': case 'ntfs3': case 'ntfs-3g': case 'refs':
      return { caseInsensitive: true, windowsNames: true, maxFileSize: POSIX_RULES.maxFileSize };
    // macOS formats both case-insensitive unless the user chose otherwise.
    case 'apfs': case 'hfs': case 'hfsplus':
      return { caseInsensitive: true, windowsNames: false, maxFileSize: POSIX_RULES.maxFileSize };
    default:
      return POSIX_RULES;
  }
}

export const restrictive = (r: NameRules) => r.caseInsensitive || r.windowsNames || r.maxFileSize < POSIX_RULES.maxFileSize;
