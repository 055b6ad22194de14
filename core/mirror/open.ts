// createMirror / openMirror: placeholder until the engine lands.
import type { MirrorOptions } from '../api/types.ts';
import type { Mirror } from './mirror-api.ts';
export async function createMirror(_o: MirrorOptions): Promise<Mirror> { throw new Error('not yet'); }
export async function openMirror(_o: Omit<MirrorOptions, 'label'>): Promise<Mirror> { throw new Error('not yet'); }
