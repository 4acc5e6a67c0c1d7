// The test git host is the same smart-HTTP server the demo uses.
export * from '../../agent/demo/git-server.js';
