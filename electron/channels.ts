// The three IPC channel names, shared by main and the preload (nothing else crosses between them).
export const CHANNELS = {
  call: 'nas-mirror:call',
  event: 'nas-mirror:event',
  pickFolder: 'nas-mirror:pick-folder',
} as const;
