#!/usr/bin/env node
// Tiny launcher: the compiled CLI lives in dist/ (built by `npm ci` through the prepare script).
import '../dist/cli/main.js';
