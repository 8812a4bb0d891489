// What every benchmark prints first and stores with its results: the machine
// and runtime it ran on.

import { cpus, totalmem } from 'node:os';

export interface MachineInfo {
  readonly cpus: number;
  readonly cpu_model: string;
  readonly memory_gib: number;
  readonly node: string;
  readonly platform: string;
}

export function machineInfo(): MachineInfo {
  return {
    cpus: cpus().length,
    cpu_model: cpus()[0]?.model ?? 'unknown CPU',
    memory_gib: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform}/${process.arch}`,
  };
}

export function machineLine(info: MachineInfo = machineInfo()): string {
  return `machine: ${info.cpus} x ${info.cpu_model}, ${info.memory_gib} GiB; node ${info.node}; ${info.platform}`;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}
