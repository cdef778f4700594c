// A function's container on the twin: a worker thread with its own module instances and its own
// process.env. Workers start without the parent's loader flags, so TypeScript is registered here,
// the same way whether the twin runs under `tsx` or `node --import tsx`.
import { register } from 'tsx/esm/api';

register();
await import('./function-worker.ts');
