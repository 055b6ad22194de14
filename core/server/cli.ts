// `serve`: the core and the contract over a WebSocket, the built renderer as static files, for NAS boxes without
// a screen. Prints one line on stdout when ready (the URL), then one per way in that is on (the WebDAV share's
// address, `Mounted at DIR`, the SMB share's); everything else goes to stderr.
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppCore } from '../app/app-core.ts';
import { coreDeps } from '../app/core-deps.ts';
import { createDispatch, createHandlers } from '../app/handlers.ts';
import { defaultConfigDir, parseServeArgs, USAGE } from './cli-args.ts';
import { demoLayout, startDemo } from '../app/demo.ts';
import { isLoopbackHost } from './auth.ts';
import { startServer } from './server.ts';
import { DavService } from './dav/dav-route.ts';
import { loadSharingSettings, saveSharingSettings, ServerSharing, webdavRefusal } from './dav/sharing.ts';
import { localSharesRefusal, startLocalShares, type LocalShares } from './local-shares.ts';

const log = (m: string) => console.error(m);

async function main(): Promise<void> {
  const parsed = parseServeArgs(process.argv.slice(2));
  if (!parsed.ok) { log(parsed.message); process.exit(2); }
  const args = parsed.args;
  if (args.help) { log(USAGE); return; }

  // Read the certificate first: a wrong path is a usage error, before anything opens.
  let tls: { cert: Buffer; key: Buffer } | undefined;
  if (args.tlsCert !== undefined && args.tlsKey !== undefined) {
    try {
      tls = { cert: await readFile(args.tlsCert), key: await readFile(args.tlsKey) };
    } catch (e) {
      log(`Cannot read the TLS certificate or key: ${(e as Error).message}`);
      process.exit(2);
    }
  }

  const shareRefusal = await localSharesRefusal(args);
  if (shareRefusal) { log(`--smb: ${shareRefusal}`); process.exit(2); }

  // The demo keeps its folders and config together, in a stable place, so a second run finds the same mirror.
  const configDir = args.configDir ?? (args.demo ? join(tmpdir(), 'nas-mirror-demo') : defaultConfigDir());
  const layout = args.demo ? await demoLayout(configDir) : undefined;
  const core = await AppCore.start({
    deps: coreDeps(), configDir, native: false, demo: args.demo, log,
    ejectMode: args.demo ? 'engine' : 'drive', extraDrives: layout?.drives,
  });
  if (layout) await startDemo(core, layout);

  // The WebDAV share: --webdav turns it on (and is remembered), --no-webdav off; beyond loopback it needs a password.
  const sharingSettings = await loadSharingSettings(configDir);
  const davRefusal = webdavRefusal(args.host, args.password);
  if (args.webdav === true && davRefusal) { log(`--webdav: ${davRefusal}`); process.exit(2); }
  if (args.webdav !== undefined && args.webdav !== sharingSettings.webdav) await saveSharingSettings(configDir, { ...sharingSettings, webdav: args.webdav });
  const webdavOn = args.webdav ?? sharingSettings.webdav;
  if (webdavOn && davRefusal) log(`The WebDAV share stays off: ${davRefusal}`);
  const dav = await DavService.create({ mirror: () => core.mirror, stateDir: configDir, enabled: webdavOn && !davRefusal, log });
  let port = args.port;
  let local: LocalShares | undefined;
  const sharing = new ServerSharing({ dav, configDir, host: args.host, password: args.password, tls: tls !== undefined, port: () => port, local: () => local, log });

  const server = await startServer({
    host: args.host, port: args.port, password: args.password, log, ...(tls ? { tls } : {}),
    staticRoot: fileURLToPath(new URL('../../dist/renderer/', import.meta.url)),
    dispatch: createDispatch(createHandlers(core, { sharing })), events: core.events, webdav: dav,
  });
  port = server.port;
  if (!isLoopbackHost(args.host)) {
    log(args.password === undefined
      ? 'Listening beyond this machine: the URL below carries a one-time token; keep it private.'
      : 'Listening beyond this machine: sign in with the password you gave.');
    if (!tls) log('Warning: without --tls-cert/--tls-key the password and your files cross the network unencrypted.');
  }

  // The mirror as a local folder (--mount DIR) and an SMB share over it (--smb), through the engine like every other
  // way in; remembered like --webdav.
  try {
    local = await startLocalShares({ configDir, mirror: () => core.mirror, args, log, drives: () => core.listDrives() });
  } catch (e) {
    log(`The mount or the SMB share could not start: ${(e as Error).message}`);
    await core.shutdown().catch(() => {});
    await server.close();
    process.exit(1);
  }

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) { log(`${signal} again: exiting without waiting for the flush.`); process.exit(1); }
    stopping = true;
    log('Stopping: flushing behind writes to every member (like mdadm --stop)…');
    dav.abortAll(); // an upload in progress over the share must not hold the mirror open; it leaves nothing behind
    // Samba and the mount first, so nothing new comes in through them; what programs left staged is committed.
    await local!.stop();
    let code = 0;
    try {
      await core.shutdown();
      log('Mirror stopped cleanly.');
    } catch (e) {
      log(`The mirror did not stop cleanly: ${(e as Error).message}`);
      code = 1;
    }
    await server.close();
    process.exit(code);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  // The ready line comes last: whoever reads it may signal at once, and the flush-on-stop handlers must be there.
  console.log(`NAS Mirror at ${server.url}`);
  if (dav.enabled) console.log(`WebDAV share at ${new URL('/dav/', server.url).href}`);
  for (const line of local!.lines) console.log(line);
}

main().catch((e: Error) => {
  log(`NAS Mirror could not start: ${e.message}`);
  process.exit(1);
});
