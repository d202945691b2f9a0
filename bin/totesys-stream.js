#!/usr/bin/env node
// The installed `totesys-stream` command: runs the CLI built into dist/ (rebuilt first when a source file
// changed since the last build; see bin/cli-build.js).
import { loadCli } from './cli-build.js';

const { main } = await loadCli();
process.exitCode = await main(process.argv);
