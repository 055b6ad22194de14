// The tray icon: its tooltip and menu show the mirror's health, refreshed from the app's events.
import { Menu, Tray, nativeImage } from 'electron';
import type { AppCore } from '../core/app/app-core.ts';
import { trayHealth } from './health.ts';

export function createTray(iconPath: string, core: AppCore, actions: { show(): void; quit(): void }): () => void {
  const image = nativeImage.createFromPath(iconPath).resize({ width: 16, height: 16 });
  const tray = new Tray(image);
  const refresh = () => {
    const health = trayHealth(core.mirror?.status() ?? null, core.appState);
    tray.setToolTip(health.tooltip);
    tray.setContextMenu(Menu.buildFromTemplate([
      { label: health.tooltip.replace(/^NAS Mirror — /, ''), enabled: false },
      ...health.lines.map((line) => ({ label: line, enabled: false })),
      { type: 'separator' },
      { label: 'Open NAS Mirror', click: actions.show },
      { label: core.appState === 'running' ? 'Quit (flushes behind writes first)' : 'Flushing…', enabled: core.appState === 'running', click: actions.quit },
    ]));
  };
  refresh();
  const unsubscribe = core.events.subscribe((e) => {
    if (['mirror-changed', 'member-state', 'app-state', 'resync-progress'].includes(e.event.type)) refresh();
  });
  tray.on('click', actions.show);
  return () => { unsubscribe(); tray.destroy(); };
}
