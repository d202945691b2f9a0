#!/usr/bin/env node
// The installed `totesys-stream` command: registers tsx so Node can load the TypeScript CLI directly.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv);
