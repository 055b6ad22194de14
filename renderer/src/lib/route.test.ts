import { expect, test } from 'vitest';
import { parseRoute, routeHash } from './route.svelte.ts';

test('routes: each view, and Files with its folder; names with #, % and spaces survive; unknown is the dashboard', () => {
  expect(parseRoute('')).toEqual({ tab: 'dashboard', folder: '' });
  expect(parseRoute('#/scrub')).toEqual({ tab: 'scrub', folder: '' });
  expect(parseRoute('#/nonsense/x')).toEqual({ tab: 'dashboard', folder: '' });
  const folder = 'photos/2024 #1/100% done?';
  expect(routeHash({ tab: 'files', folder })).toBe('#/files/photos/2024%20%231/100%25%20done%3F');
  expect(parseRoute(routeHash({ tab: 'files', folder }))).toEqual({ tab: 'files', folder });
  expect(parseRoute('#/files/%E0%A4%A')).toEqual({ tab: 'files', folder: '' }); // mangled: all files
  expect(routeHash({ tab: 'drives', folder: 'ignored' })).toBe('#/drives');
});
