// V8 flags that must be set before any module loads, so this is main.ts's first import.
// The monitor sits beside a big job for hours doing little: lite mode (no optimising compiler) keeps its
// footprint about 9 MB lower at the same CPU (docs/BENCHMARKS.md); runs keep the optimiser for throughput.
import v8 from 'node:v8';
import { aliasMonitorMode } from './argv.js';

if (aliasMonitorMode(process.argv)[2] === 'monitor') v8.setFlagsFromString('--lite-mode');
