// What the measurements of the page share: the 16 GiB machine they draw and time,
// and how a step's latency is read (click to painted frame). Used by
// e2e/measure.test.mjs and scripts/bench.mjs.

import { readFileSync } from 'node:fs';

// 16 GiB of address space (4 Mi page frames, pfn 0-0x3fffff; memory from 1 MiB up, no
// PCI hole), four CPUs, some allocations and frees; the file is also the engine's
// redraw test's machine (engine/tests/it/redraw.rs).
export const SIXTEEN_GIB = readFileSync(new URL('./sixteen-gib.toml', import.meta.url), 'utf8');

// The 1 GiB two-CPU machine of the long workloads, running `script` (a TOML string, quotes included).
const onOneGib = (script) => `version = 1
[machine]
thp = "never"
[[machine.nodes]]
memory = ["0x1000000-0x40ffffff"]
cpus = "0-1"
[workload]
seed = 1
script = ${script}
`;
// 10 M operations on that machine: ten `generate steady` statements of 1 M each
// (each holds 4% of memory, so 40% is live at the end, as in the 1 M run).
export const TEN_MILLION = onOneGib(`"""
${'generate steady ops=1000000 max_order=3 fill=4\n'.repeat(10)}"""`);
// The benchmark's 1 M-operation steady workload (also the timeline test's million calls).
export const MILLION = onOneGib('"generate steady ops=1000000 max_order=3 fill=40"');

export async function drawMs(page) {
  return Number(await page.locator('#address-canvas').getAttribute('data-draw-ms'));
}

/** Clicks a button and waits for the step counter to change; returns milliseconds. */
export async function stepLatency(page, name) {
  return page.evaluate(async (name) => {
    const counter = document.getElementById('step-counter');
    const before = counter.textContent;
    const button = [...document.querySelectorAll('button')].find((b) => b.getAttribute('aria-label') === name);
    const start = performance.now();
    button.click();
    while (counter.textContent === before) {
      await new Promise((ok) => setTimeout(ok, 0));
    }
    // Until the frame with the new state is painted.
    await new Promise((ok) => requestAnimationFrame(() => ok()));
    return performance.now() - start;
  }, name);
}
