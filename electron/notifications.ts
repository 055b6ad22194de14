// Native notifications for what a person must know even with the window closed: the event history's entries marked
// `notify` (core/app/history-feed.ts), so a notification always has its line in Recent activity.
import { Notification } from 'electron';
import type { AppCore } from '../core/app/app-core.ts';
import { noticeOf } from './health.ts';

export function startNotifications(core: AppCore): () => void {
  return core.events.subscribe(({ event }) => {
    const notice = event.type === 'history' ? noticeOf(event.entry) : null;
    if (notice && core.settings.notifications && Notification.isSupported()) new Notification(notice).show();
  });
}
