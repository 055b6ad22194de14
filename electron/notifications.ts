// Native notifications for what a person must know even with the window closed: a drive failed, reads fell back
// to a lagging drive, a drive is safe to remove, a resync finished. Wording and throttling live in health.ts.
import { Notification } from 'electron';
import type { AppCore } from '../core/app/app-core.ts';
import { NotificationPolicy } from './health.ts';

export function startNotifications(core: AppCore): () => void {
  const policy = new NotificationPolicy();
  const start = core.snapshot();
  policy.seed(start.mirror, start.drives);
  return core.events.subscribe(({ event }) => {
    const notice = policy.next(event);
    if (notice && core.settings.notifications && Notification.isSupported()) new Notification(notice).show();
  });
}
