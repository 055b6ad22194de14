// The machine a bench ran on: CPUs, memory, kernel, disk, Node, load — printed and written with every result.
import { cpus, loadavg } from 'node:os';
import { sh } from './tools.ts';

export interface Machine { nproc: string; cpu: string; memory: string; kernel: string; disk: string; node: string; load: string }

const out = (line: string) => sh(line).then((r) => r.stdout.trim(), () => '?');

export async function describeMachine(): Promise<Machine> {
  const dev = await out('findmnt -n -o SOURCE --target /tmp');
  return {
    nproc: await out('nproc'),
    cpu: cpus()[0]?.model ?? '?',
    memory: (await out('free -h | sed -n 2p')).replace(/\s+/g, ' '),
    kernel: await out('uname -r'),
    disk: `${dev}: ${(await out(`lsblk -d -n -o NAME,SIZE,ROTA,MODEL ${dev} 2>/dev/null`)).replace(/\s+/g, ' ')} (rota=1 means rotational as reported)`,
    node: process.version,
    load: loadavg().map((x) => x.toFixed(2)).join(' '),
  };
}
